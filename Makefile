# cutover.ecs — every command a user or CI needs. Run as root or with sudo on Debian 12.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
PIP       := $(VENV)/bin/pip
PYTEST    := $(VENV)/bin/pytest
STAMP     := $(VENV)/.installed
LINK      := .collections/ansible_collections/cutover/ecs
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the lab and the image pipeline need.
DEB_PACKAGES := python3-venv podman runc buildah haproxy docker-registry mmdebstrap uidmap slirp4netns curl git shellcheck

# pytest-xdist workers per tier. The integration and lab tests mostly wait (Ansible start-up,
# containers, health checks), so more workers than cores pay; the counts come from measured runs
# on the 2-core machine (README, "Tests"). A module's tests stay on one worker unless the module
# is listed as independent (tests/conftest.py).
INTEGRATION_WORKERS ?= 4
LAB_WORKERS ?= 4
XDIST := --dist loadscope

.PHONY: help setup deps-debian venv test test-unit test-integration test-service test-lab test-lab-and-molecule test-faults test-molecule sanity lint \
        check collection base-image lab-up lab-down lab-status demo bench faults iam-policy clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: deps-debian venv $(LINK) ## install Debian packages, the venv and the collection link

deps-debian: ## install the Debian packages the lab needs (apt-get update first), when missing
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

$(LINK):
	mkdir -p $(dir $(LINK))
	ln -sfn ../../.. $(LINK)

test: setup lint test-unit test-service test-integration test-lab-and-molecule test-faults sanity ## run every test (what CI runs)

# The lab tier waits more than it computes (about 40 % of two cores over its 5 minutes), so Molecule's
# labs run beside it; the fault matrix's entries measure failed requests under load, so they run alone.
test-lab-and-molecule: setup base-image ## the lab tier and Molecule side by side (output kept per tier)
	$(MAKE) --no-print-directory -j2 --output-sync=target test-lab test-molecule

lint: setup ## ruff and ansible-lint (production profile)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/ansible-lint --nocolor

test-unit: setup ## pure functions, no network
	$(PYTEST) -q tests/unit

test-service: setup ## the sample service's own tests
	@if [ -d service/tests ]; then $(PYTEST) -q service/tests; fi

test-integration: setup base-image ## modules and roles against moto's server and labs of their own
	$(PYTEST) -q -n $(INTEGRATION_WORKERS) $(XDIST) tests/integration

test-lab: setup base-image ## the lab's conformance and end-to-end suite
	$(PYTEST) -q -n $(LAB_WORKERS) $(XDIST) tests/lab

# The inner loop: `make check AREA=elb` (areas: python tests/areas.py --list), `make check
# PATHS=tests/lab/test_elb_units.py`, or plain `make check` for the areas the work tree's changes touch.
check: setup base-image ## lint, unit and service tests, then the integration and lab tests of AREA (or PATHS, or what changed)
	$(MAKE) --no-print-directory lint
	$(PYTEST) -q tests/unit service/tests
	@paths="$$($(PY) tests/areas.py $(or $(AREA) $(PATHS),--changed))" || exit 1; \
	if [ -z "$$paths" ]; then echo "check: no integration or lab tests for this change"; exit 0; fi; \
	echo "$(PYTEST) -q -n $(INTEGRATION_WORKERS) $(XDIST) $$paths"; \
	$(PYTEST) -q -n $(INTEGRATION_WORKERS) $(XDIST) $$paths

# The fault matrix's own helpers, and four of its entries (1 for codedeploy: green fails its health checks and
# the deploy module's green watch rolls it back; 3, 4 and 12: an alarm during the canary shift and during the
# termination wait, rollback.yml during the termination wait; 80 s in CI before entry 1 joined).
# The whole matrix is `make faults` (about 17 minutes on a quiet machine).
FAULTS_SMOKE := test_faultkit or (green_fails_health_checks and codedeploy) or (listener_rule_changed_by_hand and codedeploy) or alarm_during_canary_shift or alarm_during_termination_wait or rollback_playbook_during_termination_wait

test-faults: setup base-image ## the fault matrix's helpers and four of its entries (the whole matrix: make faults)
	FAULTS_RESULTS=- $(PYTEST) -q tests/faults -k "$(FAULTS_SMOKE)"

test-molecule: setup base-image ## Molecule: codedeploy, rolling, ecs side by side, each against a lab of its own; localstack when it can
	$(PYTEST) -q extensions/molecule/tests
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH scripts/molecule-side-by-side.sh codedeploy rolling ecs localstack

sanity: setup ## ansible-test sanity on a copy under ansible_collections/cutover/ecs
	tests/sanity/run.sh

collection: setup ## build the collection's tarball: dist/cutover-ecs-<version>.tar.gz (install it with ansible-galaxy collection install)
	$(VENV)/bin/ansible-galaxy collection build --force --output-path dist

base-image: setup ## build localhost/cutover/python-base:bookworm with mmdebstrap (cached)
	scripts/base-image.sh

demo: setup ## start the lab, deploy v1 of the sample service, cut over to v2 under live traffic
	scripts/demo.sh

bench: setup base-image ## benchmarks: lab start-up and API latency, ELB changes, cutovers and rollbacks under load (JSON in bench-results/)
	$(PY) benchmarks/lab_core.py
	$(PY) benchmarks/lab_elb.py
	$(PY) benchmarks/cutover.py

faults: setup base-image ## the fault matrix under load (JSON in bench-results/faults.json)
	$(PYTEST) -q tests/faults

iam-policy: setup base-image ## regenerate policy/cutover-ecs-policy.json from the lab's call log of a full run
	$(PY) scripts/iam_policy.py collect

lab-up: setup ## start the lab on http://127.0.0.1:4566
	$(PY) -m lab up

lab-down: ## stop the lab and everything it started
	@if [ -x $(PY) ]; then $(PY) -m lab down; fi

lab-status: ## what the lab runs
	$(PY) -m lab status

clean: ## remove the venv, build copies and lab state (stop the lab first)
	rm -rf $(VENV) .collections .build .pytest_cache .ruff_cache dist
