#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection under ansible_collections/cutover/ecs/.
# Usage: tests/sanity/run.sh [extra ansible-test args, e.g. --test validate-modules]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
venv="$repo/.venv"
# Outside the checkout: inside a git work tree ansible-test lists files with git and
# would skip this untracked copy.
# A directory of this run's own, so two runs on one machine never share the copy.
work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-ecs-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
build="$work/ansible_collections"
dest="$build/cutover/ecs"

mkdir -p "$dest" "$build/amazon"
# Only what the built collection ships (galaxy.yml build_ignore keeps lab/ and tests/ out).
for path in galaxy.yml meta plugins roles playbooks docs README.md CHANGELOG.md LICENSE tests/sanity; do
  if [ -e "$repo/$path" ]; then
    mkdir -p "$dest/$(dirname "$path")"
    cp -a "$repo/$path" "$dest/$path"
  fi
done
find "$dest" -name __pycache__ -prune -exec rm -rf {} +
# amazon.aws (a dependency) comes from the venv's `ansible` package.
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ln -s "$site/ansible_collections/amazon/aws" "$build/amazon/aws"

# ansible-test bootstraps pip with a script from a host we cannot reach. Only when
# that download fails, cache a stand-in (see get_pip_standin.py).
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',$/\1/p" "$site/ansible_test/_internal/python_requirements.py" | head -1)
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -s "$cache" ]; then
  mkdir -p "$(dirname "$cache")"
  if ! curl -fsS --max-time 15 -o "$cache.download.$$" "https://ci-files.testing.ansible.com/ansible-test/get-pip-$pip_version.py" 2>/dev/null; then
    echo "sanity: pip bootstrap download failed; using the ensurepip stand-in" >&2
    cp "$repo/tests/sanity/get_pip_standin.py" "$cache.download.$$"
  fi
  mv "$cache.download.$$" "$cache"
fi

cd "$dest"
PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" sanity --python 3.11 --local --color no "$@"
