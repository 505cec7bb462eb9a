// doctest runner for the unit tests: initialises libsodium first, as ihomed's
// main does, so code that draws random bytes runs as in production.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <sodium.h>

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  doctest::Context context(argc, argv);
  return context.run();
}
