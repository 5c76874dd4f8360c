#!/usr/bin/env bash
# make demo: start the lab, deploy v1 of the sample service, then cut over to v2
# while a load generator sends live traffic through the production listener.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-lab} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-lab}
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_URL=${AWS_URL:-http://127.0.0.1:4566}
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
name=${DEMO_NAME:-demo}
strategy=${DEMO_STRATEGY:-codedeploy}   # or ecs, or rolling
# Lab minutes pass 10 times faster (CodeDeploy's 5-minute termination wait takes 30 s).
export LAB_TIME_SCALE=${LAB_TIME_SCALE:-10}
base=localhost/cutover/python-base:bookworm
step() { printf '\n==> %s\n' "$*"; }

step "Starting the lab"
$py -m lab up
step "Building the base image from Debian packages (cached)"
scripts/base-image.sh

deploy() {
  .venv/bin/ansible-playbook deploy.yml -e "cutover_name=$name" -e "cutover_strategy=$strategy" \
    -e "cutover_version=$1" -e "cutover_image_tag=v$1" -e "cutover_base_image=$base"
}

step "Deploying v1 (build, push, provision, roll out)"
deploy 1

dns=$($py - "$name" <<'PY'
import os, sys, boto3
elbv2 = boto3.client("elbv2", region_name=os.environ["AWS_REGION"], endpoint_url=os.environ["AWS_URL"])
print(elbv2.describe_load_balancers(Names=[sys.argv[1]])["LoadBalancers"][0]["DNSName"])
PY
)
prod="http://$dns/version"
step "v1 answers at $prod: $(curl -s "$prod")"

step "Cutting over to v2 ($strategy) while sending 100 requests/s to $prod"
report=$(mktemp)
$py -m lab.loadgen "$prod" --rate 100 --seconds 900 > "$report" &
load=$!
deploy 2
sleep 2
kill -TERM "$load"
wait "$load" || true

step "Report"
$py - "$report" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"requests during the cutover: {report['requests']}, failed: {report['failed_requests']}")
print(f"responses by version: {report['versions']}")
PY
rm -f "$report"
cat <<MSG

Try it yourself:
  curl $prod                       # production listener
  curl http://$dns:9000/version     # test listener
  .venv/bin/python -m lab status    # what the lab runs
  .venv/bin/python -m lab calls     # the AWS calls the playbooks made
The lab stays up; 'make lab-down' stops it.
MSG
