#pragma once
// `convkit deblur`: deconvolution of an image or array file with a known PSF (Wiener,
// regularised least squares, Richardson-Lucy plain / accelerated / TV), registered on main.cpp's
// CLI11 app with the same common options, output checks and atomic writer as the filters.
#include <CLI/CLI.hpp>

#include <memory>

#include "filters_cmd.h"

namespace convkit::cli {

/// Adds the `deblur` subcommand (help group "Restoration").
std::unique_ptr<FilterCommands> add_deblur_command(CLI::App& app, Hooks hooks);

}  // namespace convkit::cli
