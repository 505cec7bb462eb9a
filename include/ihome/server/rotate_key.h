// `ihomed --rotate-key`: the command behind `ihome-admin rotate-key`
// (include/ihome/auth/key_rotation.h does the work).  Refuses while an
// ihomed answers on the configured socket: workers keep the key in memory.
#pragma once

#include "ihome/core/config.h"

namespace ihome {

// 0 done (one line on stdout: how many id cards), 1 failed (one error line).
int rotate_key_command(const Config& config);

}  // namespace ihome
