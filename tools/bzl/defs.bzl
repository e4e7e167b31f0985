"""Project-wide rules: every vmrr C++ target builds with the same warnings."""

VMRR_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]

def _static_linkopts():
    return select({
        "//tools/bzl/toolchain:static": ["-static"],
        "//conditions:default": [],
    })

def vmrr_cc_library(name, copts = [], **kwargs):
    native.cc_library(name = name, copts = VMRR_COPTS + copts, **kwargs)

def vmrr_cc_binary(name, copts = [], linkopts = [], **kwargs):
    native.cc_binary(
        name = name,
        copts = VMRR_COPTS + copts,
        linkopts = linkopts + _static_linkopts(),
        **kwargs
    )

def vmrr_cc_test(name, copts = [], deps = [], size = "small", **kwargs):
    native.cc_test(
        name = name,
        size = size,
        copts = VMRR_COPTS + copts,
        deps = deps + ["//tools/bzl/deps:gtest_main"],
        **kwargs
    )

def vmrr_proto_library(name, src, imports = [], deps = []):
    """C++ code generated from one .proto by the chroot's protoc (3.21.12,
    the same version as every target's libprotobuf).  `imports` are the
    .proto files it imports, `deps` their vmrr_proto_library targets."""
    base = src[:-len(".proto")]
    native.genrule(
        name = name + "_gen",
        srcs = [src] + imports,
        outs = [base + ".pb.cc", base + ".pb.h"],
        cmd = "$(execpath //tools/bzl/deps:protoc) --proto_path=. --cpp_out=$(GENDIR) $(location %s)" % src,
        tools = ["//tools/bzl/deps:protoc"],
    )
    native.cc_library(
        name = name,
        srcs = [base + ".pb.cc"],
        hdrs = [base + ".pb.h"],
        deps = ["//tools/bzl/deps:protobuf"] + deps,
    )
