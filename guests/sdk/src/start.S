/* start.S: the two entry points the host jumps to, in ring 3.
 * The host sets RSP to the stack top and RDI to the PEB on every entry. */
	.text
	.globl _start
	.type _start, @function
_start:                      /* init: runs hl_main and reports the functions */
	andq $-16, %rsp
	xorl %ebp, %ebp
	call hl_start_c
	ud2                      /* hl_start_c never returns */

	.globl hl_dispatch_entry
	.type hl_dispatch_entry, @function
hl_dispatch_entry:           /* one guest function call */
	andq $-16, %rsp
	xorl %ebp, %ebp
	/* The entry state docs/abi.md promises every function, whatever the
	 * previous call left (the host sets the general registers and RFLAGS,
	 * DF included): an empty x87 stack with the default control word, and
	 * the default MXCSR (round to nearest, all exceptions masked). */
	fninit
	ldmxcsr hl_mxcsr_default(%rip)
	call hl_dispatch_c
	ud2

	.section .rodata
	.balign 4
hl_mxcsr_default:
	.long 0x1f80
	.text

	.section .note.GNU-stack,"",@progbits
