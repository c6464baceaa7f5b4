# ngx_rtk_module: build, run and test against Debian 12's own nginx.
#
#   make run     installs what is missing, builds, runs the gateway
#   make test    installs what is missing, builds, runs every test
#
# "make" and "make unit" install nothing: they build as any user on a
# machine that has the packages, and say which one is missing otherwise.

SHELL         := /bin/bash
BUILD         := $(CURDIR)/build
NGX_SRC       := /usr/share/nginx/src
NGX_BUILD     := $(BUILD)/nginx
MODULE        := $(NGX_BUILD)/ngx_http_rtk_module.so
EXTRA_CFLAGS  := -Wall -Wextra -Wno-unused-parameter -Werror
# Debian's own hardening flags for nginx, as "nginx -V" shows them
NGX_CC_OPT    ?= -g -O2 -fstack-protector-strong -Wformat \
                 -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2
NGX_LD_OPT    ?= -Wl,-z,relro -Wl,-z,now -fPIC

DEPS          := nginx nginx-dev libyajl-dev libssl-dev gcc make \
                 python3 openssl ca-certificates curl
FUZZ_DEPS     := clang-14 libclang-rt-14-dev
# t/20_sdk.py drives the official Cloudflare SDK: Debian's nodejs and npm,
# asked for only when no node or npm runs here at all (a Node from
# elsewhere, whose nodejs package provides npm itself, is kept)
SDK_DIR       := t/sdk
NODE_DEPS     := $(if $(shell command -v node >/dev/null \
                     && command -v npm >/dev/null && echo yes),,nodejs npm)
# libnginx-mod-http-js: the njs gateway make bench compares with (bench/njs/)
BENCH_DEPS    := wrk valgrind libnginx-mod-http-js
test integration: DEPS += prometheus wrk  # promtool (t/21), wrk (t/25)

MODULE_SRCS   := config $(wildcard ngx_rtk_module/*.[ch] policy/rtk_*.[ch])

.PHONY: all deps fuzz-deps node-deps sdk-deps module unit tools integration \
        test run fuzz test-asan test-valgrind bench clean

all: module

# Installs only what is missing; a fresh machine may have no package
# lists yet, so "apt-get update" runs before the first install.
define apt_install
	@missing=""; for p in $(1); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	        | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq $$missing >/dev/null \
	        || exit 1; \
	fi
endef

deps:
	$(call apt_install,$(DEPS))

module: $(MODULE)

$(MODULE): $(MODULE_SRCS)
	@test -x $(NGX_SRC)/configure || { echo "$(NGX_SRC) is missing:" \
	    "install nginx-dev, or run \"make test\" as root"; exit 1; }
	@mkdir -p $(BUILD)
	rm -rf $(BUILD)/nginx-src && cp -a $(NGX_SRC) $(BUILD)/nginx-src
	cd $(BUILD)/nginx-src && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt="$(NGX_CC_OPT) $(EXTRA_CFLAGS)" \
	        --with-ld-opt="$(NGX_LD_OPT)" \
	        --add-dynamic-module=$(CURDIR) --builddir=$(NGX_BUILD) \
	        > $(BUILD)/configure.log 2>&1 \
	    || { tail -n 20 $(BUILD)/configure.log; exit 1; }
	$(MAKE) -s -f $(NGX_BUILD)/Makefile -C $(BUILD)/nginx-src modules

unit: tools
	$(MAKE) -s -C policy BUILD=$(BUILD)/policy all

# rtk-policy: t/19_differential.py compares the gateway with it
tools:
	$(MAKE) -s -C tools BUILD=$(BUILD)

integration: deps sdk-deps module tools
	python3 t/run.py -j 2

node-deps:
	$(call apt_install,$(NODE_DEPS))

# the SDK at the version package-lock.json pins, again when the lock changes;
# RTK_SKIP_SDK=1 leaves it out where the npm registry cannot be reached
# (t/20_sdk.py then says it was skipped, and why)
ifeq ($(RTK_SKIP_SDK),)
sdk-deps: node-deps $(SDK_DIR)/node_modules/.package-lock.json
else
sdk-deps:
	@echo "sdk-deps: skipped (RTK_SKIP_SDK=$(RTK_SKIP_SDK))"
endif

$(SDK_DIR)/node_modules/.package-lock.json: $(SDK_DIR)/package-lock.json \
                                            | node-deps
	cd $(SDK_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

fuzz-deps:
	$(call apt_install,$(FUZZ_DEPS))

# FUZZ_SECONDS per target; make test runs a short stage of its own
FUZZ_SECONDS  ?= 60

fuzz: deps fuzz-deps
	@bash dev/fuzz.sh $(BUILD) $(FUZZ_SECONDS)

# Every suite prints "name: N passed, N failed"; the last line sums them.
test: deps fuzz-deps sdk-deps module unit
	@bash dev/run-tests.sh $(BUILD)

test-asan: deps sdk-deps tools
	@bash dev/asan-test.sh $(BUILD)

test-valgrind: deps sdk-deps module tools
	$(call apt_install,valgrind)
	@bash dev/valgrind-test.sh $(BUILD)

run: deps module
	@bash dev/run-gateway.sh $(BUILD)

clean:
	rm -rf $(BUILD)
include bench/Makefile.inc
include packaging/Makefile.inc
