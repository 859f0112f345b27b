/* spin_entry: a guest that spins in its entry point: only a timeout ends it. */
	.section .text.entry, "ax"
	.globl _start, hl_dispatch_entry
_start:
hl_dispatch_entry:
1:	jmp 1b
	.section .note.GNU-stack,"",@progbits
