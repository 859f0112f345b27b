# hl.mk: include from a guest's Makefile to build against the SDK.
#   HL_SDK := path/to/guests/sdk
#   include $(HL_SDK)/hl.mk
#   my.bin: my.c ; $(HL_LINK) -o $@ my.c
HL_SDK ?= $(dir $(lastword $(MAKEFILE_LIST)))
HL_CC ?= gcc
# -fstack-clash-protection: a stack allocation larger than a page touches each
# page on its way down, so it faults on the one guard page below the stack
# instead of jumping it into the buffers and heap (docs/security.md).
# -g -fno-omit-frame-pointer: a core dump (`--core-dump`) opens in gdb with
# function names, source lines and a backtrace (debug info stays in the file;
# only PT_LOAD segments are loaded into the VM).
HL_CFLAGS := -O2 -g -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra -ffreestanding -fno-builtin -fno-stack-protector \
  -fno-pic -fno-pie -mno-red-zone -fcf-protection=none -fno-asynchronous-unwind-tables \
  -fstack-clash-protection -I$(HL_SDK)/include
HL_LDFLAGS := -static -nostdlib -no-pie -Wl,--build-id=none -Wl,-z,noexecstack \
  -Wl,-z,max-page-size=0x1000 -T $(HL_SDK)/hl.ld
HL_RUNTIME := $(HL_SDK)/src/start.S $(HL_SDK)/src/note.c $(HL_SDK)/src/runtime.c \
  $(HL_SDK)/src/heap.c $(HL_SDK)/src/libc.c $(HL_SDK)/src/trace.c
HL_LINK = $(HL_CC) $(HL_CFLAGS) $(HL_LDFLAGS) $(HL_RUNTIME)
