#pragma once
// `convkit steps`: one 2-D convolution shown step by step (convkit/steps.h) as text, Markdown,
// JSON, SVG, an animated GIF or an HTML page, registered on main.cpp's CLI11 app through the
// same Hooks as the other commands.
#include <CLI/CLI.hpp>

#include <memory>

#include "filters_cmd.h"

namespace convkit::cli {

/// Adds the `steps` subcommand (help group "Learning").
std::unique_ptr<FilterCommands> add_steps_command(CLI::App& app, Hooks hooks);

}  // namespace convkit::cli
