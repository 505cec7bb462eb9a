# ihome — build, run and test.  `make help` lists the targets.
#
# Every library comes from a Debian package found through pkg-config; the
# `deps` step (scripts/install-deps) installs whatever is missing first, so
# `make run` and `make test` work as the first command on a fresh Debian 12.

# The first build uses every core: -j<cores> unless a -j was given (on the
# command line, which wins anyway, or in MAKEFLAGS) or `clean` is a goal
# (`make clean all` would race); sub-makes share the jobserver.  Recipes
# print one short line each ("CXX src/main.cpp"); V=1 prints the commands.
NPROC := $(shell nproc 2>/dev/null || echo 1)
ifeq ($(MAKELEVEL),0)
ifeq ($(filter -j% j%,$(shell printf '%s' "$$MAKEFLAGS"))$(filter clean,$(MAKECMDGOALS)),)
MAKEFLAGS += -j$(NPROC)
endif
endif
# (Expanded when the recipe runs, so it sees make -s.)
V ?= 0
ifeq ($(V),0)
say = @$(if $(findstring s,$(firstword -$(MAKEFLAGS))),,printf '  %-4s %s\n' '$(1)' '$(2)';)
else
say =
endif

CXX       ?= g++
CXXSTD    := -std=c++20
WARNINGS  := -Wall -Wextra -Werror
OPT       ?= -O2 -g
PKGS      := fcgi RapidJSON sqlite3 libmemcached libsodium Magick++ openssl libcurl
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

# Fuzz targets (tests/fuzz/<target>.cpp): replay binaries built with $(CXX)
# for `make test`, libFuzzer binaries built with clang for `make fuzz`.
FUZZ_TARGETS := $(sort $(basename $(notdir $(filter-out tests/fuzz/replay.cpp,$(wildcard tests/fuzz/*.cpp)))))
FUZZ_REPLAY  := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60

.PHONY: all deps run test unit asan fuzz fuzz-targets fuzz-coverage clean format help bench differential-1m install uninstall
all: $(IHOMED)

help:
	@echo "make            build $(IHOMED)"
	@echo "make run        build and start nginx + ihomed + memcached on http://127.0.0.1:\$${PORT:-8080} (data in \$${VAR:-./var});"
	@echo "                a new VAR gets the demo set and its logins are printed (DEMO=0: start empty)"
	@echo "make test       build and run every test suite (unit, integration, e2e, ops)"
	@echo "make asan       the same tests against an ASan/UBSan build (in build-asan/)"
	@echo "make fuzz       build the libFuzzer targets (clang, ASan/UBSan, in build-fuzz/) and run each"
	@echo "                for FUZZ_SECONDS (default 60); installs clang when missing"
	@echo "make fuzz-coverage  which lines of the parsers the fuzz corpora reach (clang source coverage)"
	@echo "make bench      wrk the API endpoints against nginx and libfcgi ceilings; writes bench/results.md"
	@echo "make bench SCALE=1m  the issue-22 rows at 100k and 1M houses, as ratios; writes bench/results-1m.md"
	@echo "make differential-1m  the index against the SQL search on that 1M set (DIFF_QUERIES=200)"
	@echo "make deps       install missing Debian packages (apt-get; sudo when not root)"
	@echo "make format     clang-format the C++ sources"
	@echo "make clean      remove build outputs (not ./var)"
	@echo "make install    install ihomed, the website, nginx site, units, config and scripts"
	@echo "                (PREFIX=/usr/local DESTDIR=; as root without DESTDIR it also creates"
	@echo "                the ihome user and /var/lib/ihome; see docs/operations.md)"
	@echo "make uninstall  remove what make install installed (keeps data, backups, edited config)"

deps:
	@scripts/install-deps

$(BUILD)/%.o: %.cpp | deps
	@mkdir -p $(dir $@)
	$(call say,CXX,$<)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

# The SQL migrations are compiled into the binary so that an installed
# ihomed needs no sql/ directory beside it.
$(BUILD)/gen/migrations.cpp: $(SQL) scripts/gen-migrations
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)scripts/gen-migrations $(SQL) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.cpp | deps
	$(call say,CXX,$<)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(BUILD)/libihome.a: $(LIB_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(IHOMED): $(BUILD)/src/main.o $(BUILD)/libihome.a
	$(call say,LD,$@)$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(UNIT): $(UNIT_OBJ) $(BUILD)/libihome.a
	$(call say,LD,$@)$(CXX) $(LDFLAGS) $^ $(LDLIBS) $(TEST_LIBS) -o $@

# A fuzz target linked with replay.cpp: runs each corpus file once.
$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libihome.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The same target linked with libFuzzer (BUILD=build-fuzz, CXX=clang++).
$(BUILD)/fuzzer/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/libihome.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CXX) $(LDFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

fuzz-targets: $(FUZZ_TARGETS:%=$(BUILD)/fuzzer/%)
# Kept (not intermediate), so make removes nothing after the closing line of
# `make test`, and a rebuild does not recompile them.
.SECONDARY: $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/%.o) $(BUILD)/tests/fuzz/replay.o

# make run fills a new VAR with the demo set (scripts/ihome-demo); DEMO=0 starts empty.
DEMO ?= 1
run: $(IHOMED)
	IHOMED=$(IHOMED) DEMO=$(DEMO) exec scripts/ihome-stack

unit: $(UNIT)
	$(UNIT)

# MAKEFLAGS= : the suites' own `make run`/`make install` (ops) are no sub-makes
# of this one (they would find no jobserver).
test: $(IHOMED) $(UNIT) $(FUZZ_REPLAY)
	MAKEFLAGS= IHOMED=$(IHOMED) UNIT=$(UNIT) tests/run-all

# Same suites, sanitizer build.  Leak checking is off in the forked workers
# (they _exit without tearing ImageMagick down); everything else aborts.
asan:
	$(MAKE) BUILD=build-asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" OPT="-O1 -g" build-asan/ihomed build-asan/unit_tests \
	  $(FUZZ_TARGETS:%=build-asan/fuzz/%)
	MAKEFLAGS= IHOMED=build-asan/ihomed UNIT=build-asan/unit_tests \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run-all

# libFuzzer + ASan/UBSan with Debian's clang (scripts/install-deps --fuzz),
# in build-fuzz/.  Warnings are not errors there: -Werror is g++'s job (make,
# make test), and clang warns about other things (RapidJSON's iterators trip
# its C++20 reversed-operator warning, silenced); tests/fuzz/run-fuzz runs the targets one after another
# (FUZZ_TARGETS=..., FUZZ_SECONDS=N) and keeps what they find in the corpus.
fuzz:
	@scripts/install-deps --fuzz
	$(MAKE) BUILD=build-fuzz CXX=clang++ OPT="-O1 -g" \
	  WARNINGS="-Wall -Wextra -Wno-ambiguous-reversed-operator" \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	       -fsanitize-ignorelist=tests/fuzz/ubsan-ignorelist.txt" fuzz-targets
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz build-fuzz/fuzzer $(FUZZ_TARGETS)

# Source coverage of the parsers reached by the corpora: the replay binaries
# built with clang's -fprofile-instr-generate in build-fuzz-cov/, then
# tests/fuzz/coverage (llvm-profdata, llvm-cov) prints one line per parser file.
FUZZ_COV_FLAGS := BUILD=build-fuzz-cov CXX=clang++ OPT="-O0 -g" \
  WARNINGS="-Wall -Wextra -Wno-ambiguous-reversed-operator" SAN="-fprofile-instr-generate -fcoverage-mapping"
fuzz-coverage:
	@scripts/install-deps --fuzz
	$(MAKE) $(FUZZ_COV_FLAGS) $(FUZZ_TARGETS:%=build-fuzz-cov/fuzz/%)
	tests/fuzz/coverage build-fuzz-cov/fuzz

# Own stack and data set in build/bench-var; installs wrk when missing.
# SCALE=1m: the rows of issue 22 at 100k and 1M houses in one run
# (the 1M set is generated once into build/bench-var-1m).
bench: $(IHOMED)
	IHOMED=$(IHOMED) SCALE=$(SCALE) scripts/ihome-bench

# The differential test of the search index against the SQL search on the 1M
# set that `make bench SCALE=1m` generates (read only; not part of make test).
DIFF_QUERIES ?= 200
differential-1m: $(UNIT)
	@test -f $(BUILD)/bench-var-1m/ihome.db || { echo "no 1M set in $(BUILD)/bench-var-1m: run make bench SCALE=1m first"; exit 1; }
	IHOME_DIFF_DB=$(BUILD)/bench-var-1m/ihome.db IHOME_DIFF_QUERIES=$(DIFF_QUERIES) $(UNIT) -tc='differential at scale*'

format:
	clang-format -i $$(find src include tests/unit -name '*.cpp' -o -name '*.h')

clean:
	rm -rf build build-asan build-fuzz build-fuzz-cov

# ----- install / uninstall (docs/operations.md) ---------------------------------
# `make install` copies; run as root without DESTDIR it also creates the
# system user, the data and backup dirs and reloads systemd.  Paths inside
# the units, the nginx site, the default config and the scripts are written
# for PREFIX=/usr/local and rewritten here for another PREFIX.
PREFIX      ?= /usr/local
DESTDIR     ?=
SBINDIR     ?= $(PREFIX)/sbin
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share/ihome
DOCDIR      ?= $(PREFIX)/share/doc/ihome
SYSCONFDIR  ?= /etc
UNITDIR     ?= /etc/systemd/system
NGINXSITES  ?= $(SYSCONFDIR)/nginx/sites-available
STATEDIR    := /var/lib/ihome
BACKUPDIR   ?= /var/backups/ihome
IHOME_USER  := ihome
IHOME_GROUP := www-data
UNITS       := ihomed.service ihome-health.service ihome-health.timer ihome-backup.service ihome-backup.timer
SCRIPTS     := ihome-admin ihome-backup ihome-restore
NGINX_SNIPPETS := ihome-common.conf ihome-locations.conf ihome-fastcgi.conf ihome-microcache.conf
SUBST        = sed -e 's|/usr/local/sbin|$(SBINDIR)|g' -e 's|/usr/local/bin|$(BINDIR)|g' \
                   -e 's|/usr/local/share/ihome|$(DATADIR)|g' -e 's|/usr/local/share/doc/ihome|$(DOCDIR)|g' \
                   -e 's|/etc/ihome|$(SYSCONFDIR)/ihome|g'

install: $(IHOMED)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/nginx \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(NGINXSITES) $(DESTDIR)$(SYSCONFDIR)/ihome
	install -m 0755 $(IHOMED) $(DESTDIR)$(SBINDIR)/ihomed
	for s in $(SCRIPTS); do \
	  $(SUBST) scripts/$$s > $(DESTDIR)$(SBINDIR)/$$s.tmp && chmod 0755 $(DESTDIR)$(SBINDIR)/$$s.tmp && \
	  mv $(DESTDIR)$(SBINDIR)/$$s.tmp $(DESTDIR)$(SBINDIR)/$$s || exit 1; \
	done
	install -m 0755 scripts/ihome-gen-data $(DESTDIR)$(BINDIR)/ihome-gen-data
	rm -rf $(DESTDIR)$(DATADIR)/www
	cp -R nginx/www $(DESTDIR)$(DATADIR)/www
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)/www
	for f in $(NGINX_SNIPPETS); do install -m 0644 nginx/$$f $(DESTDIR)$(DATADIR)/nginx/$$f || exit 1; done
	$(SUBST) nginx/ihome.conf > $(DESTDIR)$(DATADIR)/nginx/ihome.conf && chmod 0644 $(DESTDIR)$(DATADIR)/nginx/ihome.conf
	$(SUBST) etc/ihomed.conf > $(DESTDIR)$(DATADIR)/ihomed.conf.default && chmod 0644 $(DESTDIR)$(DATADIR)/ihomed.conf.default
	install -m 0644 docs/operations.md $(DESTDIR)$(DOCDIR)/operations.md
	for u in $(UNITS); do \
	  $(SUBST) systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	@# Files an operator edits are installed only when missing.
	@for pair in "$(DATADIR)/ihomed.conf.default $(SYSCONFDIR)/ihome/ihomed.conf" \
	             "$(DATADIR)/nginx/ihome.conf $(NGINXSITES)/ihome.conf"; do \
	  set -- $$pair; \
	  if [ -e "$(DESTDIR)$$2" ]; then \
	    cmp -s "$(DESTDIR)$$1" "$(DESTDIR)$$2" || echo "install: kept your $$2 (the new default is $$1)"; \
	  else \
	    install -m 0644 "$(DESTDIR)$$1" "$(DESTDIR)$$2" && echo "install: created $$2"; \
	  fi; \
	done
	@if [ -z "$(DESTDIR)" ]; then \
	  set -e; \
	  getent group $(IHOME_GROUP) >/dev/null || groupadd --system $(IHOME_GROUP); \
	  if ! getent passwd $(IHOME_USER) >/dev/null; then \
	    useradd --system --user-group --home-dir $(STATEDIR) --no-create-home \
	      --shell /usr/sbin/nologin --comment "ihome server" $(IHOME_USER); \
	    echo "install: created system user $(IHOME_USER)"; \
	  fi; \
	  install -d -o $(IHOME_USER) -g $(IHOME_GROUP) -m 0750 $(STATEDIR) $(STATEDIR)/media; \
	  install -d -o $(IHOME_USER) -g $(IHOME_USER) -m 0700 $(BACKUPDIR); \
	  install -d -m 0755 $(SYSCONFDIR)/ihome/tls; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	  echo "install: done; next steps (enable the units and the nginx site): $(DOCDIR)/operations.md"; \
	fi

uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  systemctl disable --now ihome-health.timer ihome-backup.timer ihomed.service 2>/dev/null || true; \
	fi
	rm -f $(DESTDIR)$(SBINDIR)/ihomed $(DESTDIR)$(BINDIR)/ihome-gen-data
	for s in $(SCRIPTS); do rm -f $(DESTDIR)$(SBINDIR)/$$s; done
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	@# Edited files stay; so does an nginx site that is enabled.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/ihome/ihomed.conf ]; then \
	  if cmp -s $(DESTDIR)$(DATADIR)/ihomed.conf.default $(DESTDIR)$(SYSCONFDIR)/ihome/ihomed.conf; then \
	    rm -f $(DESTDIR)$(SYSCONFDIR)/ihome/ihomed.conf; \
	  else echo "uninstall: kept $(SYSCONFDIR)/ihome/ihomed.conf (edited)"; fi; \
	fi
	@site=$(DESTDIR)$(NGINXSITES)/ihome.conf; \
	if [ -e $$site ]; then \
	  if [ -e $(DESTDIR)$(SYSCONFDIR)/nginx/sites-enabled/ihome.conf ]; then \
	    echo "uninstall: kept $(NGINXSITES)/ihome.conf: it is enabled (remove sites-enabled/ihome.conf, reload nginx, run again)"; \
	  elif cmp -s $(DESTDIR)$(DATADIR)/nginx/ihome.conf $$site; then rm -f $$site; \
	  else echo "uninstall: kept $(NGINXSITES)/ihome.conf (edited)"; fi; \
	fi
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	rmdir $(DESTDIR)$(SYSCONFDIR)/ihome/tls $(DESTDIR)$(SYSCONFDIR)/ihome 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ]; then \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	  echo "uninstall: kept the data ($(STATEDIR)), the backups ($(BACKUPDIR)) and the user $(IHOME_USER)"; \
	fi

-include $(shell find $(BUILD) -type f -name '*.d' 2>/dev/null)
