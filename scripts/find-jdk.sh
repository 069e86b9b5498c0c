# Sourced by ./osprey and ./test: sets OSPREY_JAVA_HOME to a JDK of version 25 or newer, or fails with
# a message that says where it looked. Order: JAVA_HOME, then `java` on PATH, then the usual install places.

_osprey_java_major() { # prints the feature version of the JDK at $1, or nothing
  local rel="$1/release"
  [ -x "$1/bin/java" ] || return 0
  if [ -f "$rel" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel"
  else
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
  fi
}

osprey_find_jdk() {
  local cand v
  local -a cands=()
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    cands+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for cand in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* /usr/java/* \
              "${HOME:-/nonexistent}"/.sdkman/candidates/java/* "${HOME:-/nonexistent}"/.jdks/* \
              /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$cand" ] && cands+=("$cand")
  done
  for cand in ${cands[@]+"${cands[@]}"}; do
    v=$(_osprey_java_major "$cand")
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then
      OSPREY_JAVA_HOME="$cand"
      return 0
    fi
  done
  echo "osprey: no JDK 25 or newer found (looked at JAVA_HOME, java on PATH, /usr/lib/jvm, /opt/java, ~/.sdkman, ~/.jdks)." >&2
  echo "osprey: install one (for example Temurin 25) and run again." >&2
  return 1
}
