// Fault injection for the crash tests: crash_point("step") kills the process
// with SIGKILL, as a power cut or `kill -9` would, when the environment asks
// for that step (IHOME_TEST_PAY_CRASH=<step>) — once: only while the file
// IHOME_TEST_PAY_CRASH_FLAG names can still be created (it is created
// first), so the worker that replaces the dead one goes on.  Without those
// variables (production) it costs one getenv.
#pragma once

namespace ihome {

void crash_point(const char* step);

}  // namespace ihome
