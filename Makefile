# ihome — build, run and test.  `make help` lists the targets.
#
# Every library comes from a Debian package found through pkg-config; the
# `deps` step (scripts/install-deps) installs whatever is missing first, so
# `make run` and `make test` work as the first command on a fresh Debian 12.

CXX       ?= g++
CXXSTD    := -std=c++20
WARNINGS  := -Wall -Wextra -Werror
OPT       ?= -O2 -g
PKGS      := fcgi RapidJSON sqlite3 libmemcached libsodium Magick++
TEST_PKGS := zlib

BUILD     ?= build
SAN       :=

# pkg-config runs once, lazily: only after `deps` has installed the packages.
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
TEST_LIBS  = $(eval TEST_LIBS := $$(shell pkg-config --libs $(TEST_PKGS)))$(TEST_LIBS)

CPPFLAGS  += -Iinclude -I$(BUILD)/gen -MMD -MP
CXXFLAGS  += $(CXXSTD) $(OPT) $(WARNINGS) $(SAN) $(PKG_CFLAGS)
LDFLAGS   += $(SAN)
LDLIBS    += $(PKG_LIBS) -lfcgi

LIB_SRC   := $(sort $(shell find src -name '*.cpp' ! -name main.cpp))
LIB_OBJ   := $(LIB_SRC:%.cpp=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
UNIT_SRC  := $(sort $(wildcard tests/unit/*.cpp))
UNIT_OBJ  := $(UNIT_SRC:%.cpp=$(BUILD)/%.o)
SQL       := $(sort $(wildcard sql/*.sql))

IHOMED    := $(BUILD)/ihomed
UNIT      := $(BUILD)/unit_tests

.PHONY: all deps run test unit asan clean format help
all: $(IHOMED)

help:
	@echo "make            build $(IHOMED)"
	@echo "make run        build and start nginx + ihomed + memcached on http://127.0.0.1:\$${PORT:-8080} (data in \$${VAR:-./var})"
	@echo "make test       build and run every test suite (unit + integration)"
	@echo "make asan       the same tests against an ASan/UBSan build (in build-asan/)"
	@echo "make deps       install missing Debian packages (apt-get; sudo when not root)"
	@echo "make format     clang-format the C++ sources"
	@echo "make clean      remove build outputs (not ./var)"

deps:
	@scripts/install-deps

$(BUILD)/%.o: %.cpp | deps
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

# The SQL migrations are compiled into the binary so that an installed
# ihomed needs no sql/ directory beside it.
$(BUILD)/gen/migrations.cpp: $(SQL) scripts/gen-migrations
	@mkdir -p $(dir $@)
	scripts/gen-migrations $(SQL) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.cpp | deps
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(BUILD)/libihome.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(IHOMED): $(BUILD)/src/main.o $(BUILD)/libihome.a
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(UNIT): $(UNIT_OBJ) $(BUILD)/libihome.a
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) $(TEST_LIBS) -o $@

run: $(IHOMED)
	IHOMED=$(IHOMED) scripts/ihome-stack

unit: $(UNIT)
	$(UNIT)

test: $(IHOMED) $(UNIT)
	IHOMED=$(IHOMED) UNIT=$(UNIT) tests/run-all

# Same suites, sanitizer build.  Leak checking is off in the forked workers
# (they _exit without tearing ImageMagick down); everything else aborts.
asan:
	$(MAKE) BUILD=build-asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" OPT="-O1 -g" build-asan/ihomed build-asan/unit_tests
	IHOMED=build-asan/ihomed UNIT=build-asan/unit_tests \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run-all

format:
	clang-format -i $$(find src include tests/unit -name '*.cpp' -o -name '*.h')

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
