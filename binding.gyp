{
  "targets": [
    {
      "target_name": "hl",
      "sources": [
        "native/addon.cc",
        "native/vcpu_thread.cc",
        "native/kvm/kvm_vm.cc",
        "native/kvm/kvm_sampling.cc",
        "native/kvm/cpu_x86_64.cc",
        "native/kvm/vcpu_state.cc",
        "native/memory/guest_memory.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "guests/sdk/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fexceptions", "-Wno-missing-field-initializers"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
