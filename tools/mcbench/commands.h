// The two things mcbench does, each returning the process exit code:
// 0 done, 130 interrupted by Ctrl-C. Failures throw with a one-line reason.
#pragma once

#include "mcbench/options.h"

namespace unbuckle::mcbench {

int runLoadCommand(const Options& options);
int runFillCommand(const Options& options);

}  // namespace unbuckle::mcbench
