#!/usr/bin/env bash
# Builds kube-apiserver and kubectl from the k8s.io/kubernetes Go module (see
# kube/go.mod) and etcd from its Go modules (see etcd/go.mod), through the Go
# module proxy only. Prints the directory that holds the binaries.
. "$(dirname "$0")/lib.sh"

export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0

build_kube() {
  local key dest tmp major minor
  key="$KUBE_VERSION-$(inputs_hash "$HACK_DIR/kube/go.mod" "$HACK_DIR/kube/go.sum")"
  dest="$CKPT_CACHE_DIR/kube/$key"
  if [ -x "$dest/kube-apiserver" ] && [ -x "$dest/kube-controller-manager" ] && [ -x "$dest/kubectl" ]; then echo "$dest"; return; fi
  log "building kube-apiserver, kube-controller-manager and kubectl $KUBE_VERSION (cold cache: many minutes on 2 cores)"
  major=${KUBE_VERSION#v}; major=${major%%.*}
  minor=${KUBE_VERSION#v*.}; minor=${minor%%.*}
  # The same variables the Kubernetes release build stamps, so that
  # `kubectl version` and /version report the real release.
  local pkg ld=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$CKPT_CACHE_DIR/kube"
  tmp=$(mktemp -d "$CKPT_CACHE_DIR/kube/.build.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  (cd "$HACK_DIR/kube" && go build -trimpath -ldflags "-s -w$ld" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl)
  publish_dir "$tmp" "$dest"
  echo "$dest"
}

build_etcd() {
  local key dest tmp
  key="$ETCD_VERSION-$(inputs_hash "$HACK_DIR/etcd/go.mod" "$HACK_DIR/etcd/go.sum")"
  dest="$CKPT_CACHE_DIR/etcd/$key"
  if [ -x "$dest/etcd" ]; then echo "$dest"; return; fi
  log "building etcd $ETCD_VERSION"
  mkdir -p "$CKPT_CACHE_DIR/etcd"
  tmp=$(mktemp -d "$CKPT_CACHE_DIR/etcd/.build.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  (cd "$HACK_DIR/etcd" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" .)
  publish_dir "$tmp" "$dest"
  echo "$dest"
}

case "${1:-all}" in
  kube) build_kube ;;
  etcd) build_etcd ;;
  all) build_etcd >/dev/null; build_kube >/dev/null
       echo "$CKPT_CACHE_DIR" ;;
  *) echo "usage: $0 [kube|etcd|all]" >&2; exit 2 ;;
esac
