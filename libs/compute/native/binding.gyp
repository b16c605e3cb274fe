{
  "variables": {
    "onednn_root%": "<!(node -p \"process.env.ONEDNN_ROOT || ''\")"
  },
  "targets": [
    {
      "target_name": "segkit_onednn",
      "sources": ["csrc/addon.cc", "csrc/conv.cc", "csrc/elementwise.cc", "csrc/peak.cc", "csrc/pool.cc", "csrc/threads.cc", "csrc/wino.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fexceptions"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"],
      "conditions": [
        ["onednn_root!=''", {
          "include_dirs": ["<(onednn_root)/include"],
          "libraries": ["-L<(onednn_root)/lib", "-Wl,-rpath,<(onednn_root)/lib"]
        }],
        ["OS=='mac'", {
          "include_dirs": ["/opt/homebrew/include", "/usr/local/include"],
          "libraries": ["-L/opt/homebrew/lib", "-L/usr/local/lib", "-Wl,-rpath,/opt/homebrew/lib", "-Wl,-rpath,/usr/local/lib"],
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_ENABLE_CPP_RTTI": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CFLAGS": ["-O3", "-Xpreprocessor", "-fopenmp"],
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }]
      ]
    }
  ]
}
