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

.PHONY: help setup deps-debian venv test test-unit test-integration test-service test-lab test-faults test-molecule sanity lint \
        base-image lab-up lab-down lab-status demo bench faults iam-policy clean

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

test: setup lint test-unit test-service test-integration test-lab test-faults test-molecule sanity ## run every test (what CI runs)

lint: setup ## ruff and ansible-lint (production profile)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/ansible-lint --nocolor

test-unit: setup ## pure functions, no network
	$(PYTEST) -q tests/unit

test-service: setup ## the sample service's own tests
	@if [ -d service/tests ]; then $(PYTEST) -q service/tests; fi

test-integration: setup ## modules against moto's server and the lab
	$(PYTEST) -q tests/integration

test-lab: setup ## the lab's conformance and end-to-end suite
	@if ls tests/lab/test_*.py >/dev/null 2>&1; then $(PYTEST) -q tests/lab; fi

# The fault matrix's own helpers, and three of its entries (3, 4 and 12: an alarm during the canary
# shift and during the termination wait, rollback.yml during the termination wait; 80 s in CI).
# The whole matrix is `make faults` (about 17 minutes on a quiet machine).
FAULTS_SMOKE := test_faultkit or alarm_during_canary_shift or alarm_during_termination_wait or rollback_playbook_during_termination_wait

test-faults: setup base-image ## the fault matrix's helpers and three of its entries (the whole matrix: make faults)
	FAULTS_RESULTS=- $(PYTEST) -q tests/faults -k "$(FAULTS_SMOKE)"

test-molecule: setup base-image ## Molecule: codedeploy, rolling, ecs against labs of their own; localstack when it can
	$(PYTEST) -q extensions/molecule/tests
	@set -e; for scenario in codedeploy rolling ecs localstack; do \
	  PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/molecule test -s $$scenario; done

sanity: setup ## ansible-test sanity on a copy under ansible_collections/cutover/ecs
	tests/sanity/run.sh

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
	rm -rf $(VENV) .collections .build .pytest_cache .ruff_cache
