# halochat — `make run` starts a demo, `make test` runs every test.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO        ?= go
ADDR      ?= 127.0.0.1:8080
DEMO_HOST ?= 127.0.0.1:8081
DB        ?= sqlite://$(CURDIR)/data/halochat.db
# The key that seals the stored secrets (identity, runbook, webhook):
# `make run` makes one the first time (docs/SECURITY.md#secrets-at-rest).
SECRET_KEY_FILE ?= $(CURDIR)/data/secret.key
GOWASM    := $(shell $(GO) env GOROOT)/lib/wasm
TOOLS     := $(CURDIR)/bin/tools
STATICCHECK_VERSION := v0.8.2
FUZZTIME  ?= 30s

APP_SRC   := $(shell find app wasm -name '*.go' -not -name '*_test.go') go.mod go.sum
WIDGET    := static/dist/widget.wasm
CONSOLE   := static/dist/console.wasm

# stage NAME, COMMAND: run a step and print how long it took.
define stage
	@start=$$(date +%s%N); echo "=== $(1)"; \
	if $(2); then rc=0; else rc=$$?; fi; \
	end=$$(date +%s%N); printf '=== %s: %d.%01ds (exit %d)\n' "$(1)" $$(( (end-start)/1000000000 )) $$(( (end-start)/100000000 % 10 )) $$rc; \
	exit $$rc
endef

# A recipe that fails leaves no target behind (a wasm built but not
# optimised or compressed when apt-get failed would pass for done).
.DELETE_ON_ERROR:

.PHONY: build run test checks vet lint fuzz bench clean wasm-test screenshots

# The loader, precompressed beside the wasm; the server uses a copy only
# while it decompresses to the file it embeds (backend/precompressed), and
# compresses the rest itself: go-app's generated files, and each app's one
# stylesheet (go-app's app.css with widget.css or console.css, webapp).
PRECOMPRESSED := static/dist/index.js.gz

build: $(WIDGET) $(CONSOLE) $(PRECOMPRESSED) bin/halochat

# The loader is served minified (backend/cmd/minjs: esbuild's minifier);
# static.Loader takes the copy only while its .source stamp names the
# index.js beside it.
static/dist/index.js: static/index.js backend/cmd/minjs/main.go
	$(GO) run ./backend/cmd/minjs -o $@ $<
static/dist/index.js.gz: static/dist/index.js | $(WIDGET)
	$(call precompress,$<,$(basename $@))

# precompress SOURCE, TARGET: TARGET.gz (gzip -9) and TARGET.br (brotli
# -q 11, where brotli is installed: the widget's rule installs it).
define precompress
	gzip -9 -c -n $(1) > $(2).gz
	@if command -v brotli >/dev/null; then brotli -f -q 11 -o $(2).br $(1); else rm -f $(2).br; fi
endef

# wasm-opt (binaryen) on the widget: measured with binaryen 108 on the
# widget of 2026-12 (brotli -q 11 of the result): -O2 1,544,153 B, -O1
# 1,544,722, -Os 1,555,243, -Oz 1,565,317 (larger: its smaller code
# compresses worse), none 1,555,561. -O2 it is; the flags name the wasm
# features Go emits. Without wasm-opt the build goes on unoptimised.
WASM_OPT_FLAGS := -O2 --strip-debug --enable-bulk-memory --enable-sign-ext \
	--enable-nontrapping-float-to-int --enable-mutable-globals

# apt_install CMD, PACKAGE: install PACKAGE with apt-get when CMD is
# missing and we are root on a Debian-like machine. It waits up to five
# minutes for another apt-get to finish (a fresh machine often installs
# something else meanwhile) rather than failing on the lock.
APT_GET := apt-get -o DPkg::Lock::Timeout=300
define apt_install
	@if ! command -v $(1) >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(2) (apt-get)"; \
		($(APT_GET) install -y -qq $(2) >/dev/null 2>&1 || ($(APT_GET) update -qq && $(APT_GET) install -y -qq $(2) >/dev/null)); \
	fi
endef

# The widget: client code only, stripped, through wasm-opt, with
# precompressed copies that the server picks by Accept-Encoding.
$(WIDGET): $(APP_SRC)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $@ ./wasm/widget
	$(call apt_install,wasm-opt,binaryen)
	@if command -v wasm-opt >/dev/null; then \
		echo "wasm-opt $(WASM_OPT_FLAGS)"; wasm-opt $(WASM_OPT_FLAGS) $@ -o $@.opt && mv $@.opt $@; \
	else echo "warning: wasm-opt (binaryen) not found, the widget is not optimised"; fi
	gzip -9 -k -f -n $@
	$(call apt_install,brotli,brotli)
	@if command -v brotli >/dev/null; then brotli -f -q 11 -o $@.br $@; \
	else rm -f $@.br; echo "warning: brotli not found, serving gzip only"; fi
	@ls -l $@ $@.gz $$(ls $@.br 2>/dev/null)

# The agent console and admin pages: a wasm of its own (the widget stays
# small), built the same way; after the widget, which installs brotli.
$(CONSOLE): $(APP_SRC) | $(WIDGET)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $@ ./wasm/console
	gzip -9 -k -f -n $@
	@if command -v brotli >/dev/null; then brotli -f -q 11 -o $@.br $@; \
	else rm -f $@.br; echo "warning: brotli not found, serving gzip only"; fi
	@ls -l $@ $@.gz $$(ls $@.br 2>/dev/null)

# The server starts every goroutine with the runtime's smallest stack
# (GODEBUG adaptivestackstart=0, which no //go:debug line may set). By
# default a chat socket's goroutine starts as big as the average stack of
# the busy handlers before it (8 KiB) and keeps it while idle, as it uses
# more than a quarter of it; from 2 KiB it grows to 4. An idle chat then
# costs ~18 KiB of RSS rather than ~28, for no measurable message rate
# (docs/SCALING.md).
SERVER_LDFLAGS := -X=runtime.godebugDefault=adaptivestackstart=0

bin/halochat: $(WIDGET) $(CONSOLE) $(PRECOMPRESSED) $(shell find backend static -type f -not -name '*_test.go') $(APP_SRC)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(SERVER_LDFLAGS)' -o $@ ./backend/cmd/halochat

run: build
	@mkdir -p data
	@test -s '$(SECRET_KEY_FILE)' || (umask 077 && bin/halochat new-key > '$(SECRET_KEY_FILE)')
	@bin/halochat demo --db '$(DB)' --secret-key-file '$(SECRET_KEY_FILE)' --json > data/demo.json
	@port='$(DEMO_HOST)'; port=$${port##*:}; echo; \
	echo "halochat is starting. Open:"; \
	echo "  demo host page (another site): http://localhost:$$port/"; \
	echo "  chat service:                  http://$(ADDR)/"; \
	echo "  widget page:                   http://$(ADDR)/chat/widget/"; \
	echo "  agent console and admin pages: http://$(ADDR)/console/"; \
	echo "  self-service portal:           http://$(ADDR)/portal"; \
	echo "  health / readiness:            http://$(ADDR)/healthz  http://$(ADDR)/readyz"; \
	echo "  demo ids and secrets:          data/demo.json"; \
	echo
	exec bin/halochat serve --addr '$(ADDR)' --db '$(DB)' --demo-host '$(DEMO_HOST)' --secret-key-file '$(SECRET_KEY_FILE)'

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app/... ./wasm/...

lint: $(TOOLS)/staticcheck
	@test -z "$$(gofmt -l app backend wasm static)" || { echo "gofmt needed:"; gofmt -l app backend wasm static; exit 1; }
	$(TOOLS)/staticcheck ./...
	GOOS=js GOARCH=wasm $(TOOLS)/staticcheck ./app/... ./wasm/...
	@# No function, test or literal over 120 lines: long ones become named steps.
	$(GO) run ./backend/cmd/funclen -max 120 ./app/... ./backend/... ./wasm/...

# Shared code must pass its tests on js/wasm too (under Node).
wasm-test:
	PATH="$(GOWASM):$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 ./app/flow/... ./app/protocol/...

# The packages whose code runs concurrently — sockets and their
# heartbeats, the brokers, the chat service's per-chat work, the store's
# prepared pool and caches, sessions, rate limiters, background ticks —
# run their tests under the race detector; the others without it. Of the
# black-box security tests only the chaos tests (the whole service's
# nodes through faults, agents and visitors at once) run under it: the
# rest ask one thing at a time, and took 290 s of the race stage's 711.
# A test that measures memory or speed skips itself under the detector
# (see backend/chatapi/race_test.go) and runs in the plain stage instead.
RACE_PKGS := ./backend/realtime/... ./backend/chats/... ./backend/store/... ./backend/chatapi/... \
	./backend/portal/... ./backend/auth/... ./backend/identity/... ./backend/httpx/... ./backend/tick/... \
	./backend/webhook/...
NORACE_ONLY := -run '^TestIdleSocketMemory$$' ./backend/chatapi/
CHAOS       := ./backend/securitytest/
race_pkgs  = $(shell $(GO) list $(RACE_PKGS))
browser_pkg := ./backend/browsertest/
plain_pkgs = $(filter-out $(race_pkgs) $(shell $(GO) list $(browser_pkg)),$(shell $(GO) list ./...))

# The browser tests run one at a time for 5-9 minutes: once the build is
# done they run beside everything else (vet, lint, the other packages
# first without, then under the race detector), not after it. Counted
# system-wide, chromium included, the package alone keeps ~1.9 of 2 cores
# busy (599 core-seconds in 318 s; /usr/bin/time, which counts only the
# test process, said 0.7), and beside the rest both cores stay busy from
# the build's end to the last stage. Their output is printed whole when they end
# (.artifacts/browsertest.log); they are allowed 20 minutes, past go
# test's default 10.
BROWSER_LOG := .artifacts/browsertest.log
test: $(TOOLS)/staticcheck
	$(call stage,build,$(MAKE) --no-print-directory build)
	@mkdir -p $(dir $(BROWSER_LOG))
	@start=$$(date +%s); ( $(GO) test -count=1 -timeout 20m $(browser_pkg) > $(BROWSER_LOG) 2>&1; echo $$? > $(BROWSER_LOG).rc; \
		echo "=== browser tests: $$(( $$(date +%s) - start ))s" >> $(BROWSER_LOG) ) & \
	rest=0; \
	$(MAKE) --no-print-directory checks || rest=$$?; \
	wait; echo "=== go test (browser tests, beside the stages above)"; cat $(BROWSER_LOG); \
	browser=$$(cat $(BROWSER_LOG).rc); rm -f $(BROWSER_LOG).rc; \
	test $$rest = 0 && test $$browser = 0

# Everything but the build and the browser tests: vet, lint, the plain
# packages (fuzz seed corpora included), the concurrent ones under the race
# detector, and the shared code under Node.
checks: $(TOOLS)/staticcheck
	$(call stage,vet,$(MAKE) --no-print-directory vet)
	$(call stage,lint (gofmt + staticcheck),$(MAKE) --no-print-directory lint)
	$(call stage,go test (linux; fuzz seed corpora included),$(GO) test -count=1 -p 2 -skip '^TestChaos' $(plain_pkgs) && $(GO) test -count=1 $(NORACE_ONLY))
	$(call stage,go test -race (concurrent packages; the chaos tests),$(GO) test -race -count=1 -p 2 $(race_pkgs) && $(GO) test -race -count=1 -run '^TestChaos' $(CHAOS))
	$(call stage,go test (js/wasm under node),$(MAKE) --no-print-directory wasm-test)

# Each fuzz target for FUZZTIME (default 30s); crashers land in testdata/fuzz.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
			echo "=== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# Rewrites the README's screenshots in docs/screenshots (browser tests).
screenshots: build
	HALOCHAT_DOC_SCREENSHOTS=1 $(GO) test -count=1 -run 'TestConsole|TestAgentSeesTheChatCustomFields|TestPortalUserLogs|TestAdminSeesTheChatReport' ./backend/browsertest/

# Measures and writes docs/BENCHMARKS.md (widgetbench drives chromium).
bench: build
	$(call apt_install,chromium,chromium)
	WASM_OPT_FLAGS='$(WASM_OPT_FLAGS)' bash .ci/bench.sh

clean:
	rm -rf bin static/dist/*.wasm static/dist/*.wasm.* static/dist/*.gz static/dist/*.br static/dist/index.js static/dist/index.js.source data
