/* notaguest: a static Linux program (exit(0) by syscall), not built with the SDK. */
void _start(void) { __asm__ volatile("mov $60, %eax; xor %edi, %edi; syscall"); }
