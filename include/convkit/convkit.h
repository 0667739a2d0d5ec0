#pragma once
/// \file convkit.h
/// Umbrella header: everything public in convkit.

#include "convkit/dtype.h"
#include "convkit/error.h"
#include "convkit/filters.h"
#include "convkit/image_filters.h"
#include "convkit/linalg.h"
#include "convkit/nn.h"
#include "convkit/nn_train.h"
#include "convkit/plan.h"
#include "convkit/restoration.h"
#include "convkit/signal.h"
#include "convkit/steps.h"
#include "convkit/tensor.h"
