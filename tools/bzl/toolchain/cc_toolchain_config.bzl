"""cc_toolchain_config for Debian trixie's cross gcc 14 (g++-<triple>).

Works with Bazel 4.2.3 (Debian bazel-bootstrap).  Tools are /usr/bin/<triple>-*;
the cross libc and libstdc++ come with the compiler packages and target-arch
libraries (protobuf, libfdt, zstd, spdlog/fmt headers) are unpacked from
Debian .debs into /opt/sysroot/<arch> by tools/setup (inside the chroot).
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
    "with_feature_set",
)

_COMPILE_ACTIONS = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.cpp_module_codegen,
    ACTION_NAMES.linkstamp_compile,
]

_CXX_ACTIONS = [
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.cpp_module_codegen,
    ACTION_NAMES.linkstamp_compile,
]

_LINK_ACTIONS = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

def _impl(ctx):
    triple = ctx.attr.target_triple
    gccver = ctx.attr.gcc_version
    sysroot = "/opt/sysroot/" + ctx.attr.arch
    tools = ["ar", "cpp", "gcc", "gcov", "ld", "nm", "objcopy", "objdump", "strip"]
    tool_paths = [tool_path(name = t, path = "/usr/bin/%s-%s" % (triple, t)) for t in tools]

    features = [
        feature(name = "supports_pic", enabled = True),
        feature(name = "opt"),
        feature(name = "dbg"),
        feature(
            name = "default_compile_flags",
            enabled = True,
            flag_sets = [
                flag_set(
                    actions = _COMPILE_ACTIONS,
                    flag_groups = [flag_group(flags = [
                        "-U_FORTIFY_SOURCE",
                        "-fstack-protector",
                        "-fno-omit-frame-pointer",
                        # Keep -isystem paths unresolved in the .d files, or
                        # Bazel's header check reports "undeclared inclusion".
                        "-fno-canonical-system-headers",
                        "-isystem",
                        sysroot + "/usr/include",
                        "-Wno-builtin-macro-redefined",
                        "-D__DATE__=\"redacted\"",
                        "-D__TIMESTAMP__=\"redacted\"",
                        "-D__TIME__=\"redacted\"",
                    ])],
                ),
                flag_set(
                    actions = _CXX_ACTIONS,
                    flag_groups = [flag_group(flags = ["-std=c++20"])],
                ),
                flag_set(
                    actions = _COMPILE_ACTIONS,
                    flag_groups = [flag_group(flags = ["-g"])],
                    with_features = [with_feature_set(features = ["dbg"])],
                ),
                flag_set(
                    actions = _COMPILE_ACTIONS,
                    flag_groups = [flag_group(flags = [
                        "-g0",
                        "-O2",
                        "-D_FORTIFY_SOURCE=1",
                        "-DNDEBUG",
                        "-ffunction-sections",
                        "-fdata-sections",
                    ])],
                    with_features = [with_feature_set(features = ["opt"])],
                ),
            ],
        ),
        feature(
            name = "default_link_flags",
            enabled = True,
            flag_sets = [
                flag_set(
                    actions = _LINK_ACTIONS,
                    flag_groups = [flag_group(flags = [
                        "-L%s/usr/lib/%s" % (sysroot, triple),
                        "-Wl,-z,relro,-z,now",
                        "-pass-exit-codes",
                        "-lstdc++",
                        "-lm",
                    ])],
                ),
                flag_set(
                    actions = _LINK_ACTIONS,
                    flag_groups = [flag_group(flags = ["-Wl,--gc-sections"])],
                    with_features = [with_feature_set(features = ["opt"])],
                ),
            ],
        ),
    ]

    gcc_inc = "/usr/lib/gcc-cross/%s/%s" % (triple, gccver)
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        cxx_builtin_include_directories = [
            gcc_inc + "/include",
            gcc_inc + "/include-fixed",
            "/usr/%s/include" % triple,
            sysroot + "/usr/include",
        ],
        toolchain_identifier = "%s-gcc-%s" % (triple, gccver),
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = triple,
        target_cpu = ctx.attr.cpu,
        target_libc = "glibc",
        compiler = "gcc",
        abi_version = "gcc",
        abi_libc_version = "glibc",
        tool_paths = tool_paths,
    )

gcc_cross_toolchain_config = rule(
    implementation = _impl,
    attrs = {
        "arch": attr.string(mandatory = True),
        "cpu": attr.string(mandatory = True),
        "gcc_version": attr.string(default = "14"),
        "target_triple": attr.string(mandatory = True),
    },
    provides = [CcToolchainConfigInfo],
)
