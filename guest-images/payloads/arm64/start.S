// arm64 payload entry: the Linux Image header (Documentation/arch/arm64/
// booting.rst), then stack, zeroed .bss, the vector table and payload_main.
// Entered at EL1 with the MMU off, x0 = device tree (unused), DAIF masked.

	.section .text.head, "ax"
	.globl _start
_start:
#ifndef NO_IMAGE_HEADER  // a headerless build for --kernel-raw starts at entry
	b	entry			// code0
	.long	0			// code1
	.quad	0			// text_offset
	.quad	__image_size		// image_size
	.quad	2			// flags: little-endian, 4 KiB pages
	.quad	0, 0, 0			// res2..res4
	.ascii	"ARM\x64"		// magic
	.long	0			// res5
#endif

entry:
	adrp	x1, __stack_top
	add	x1, x1, :lo12:__stack_top
	mov	sp, x1
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	adrp	x1, vectors
	add	x1, x1, :lo12:vectors
	msr	vbar_el1, x1
	isb
	bl	payload_main
3:	b	3b

// Exception vectors: 16 entries of 0x80 bytes.  Each saves x0/x1 and passes
// its index (0-3 current EL with SP0, 4-7 current EL with SPx, 8-15 lower
// ELs; sync, IRQ, FIQ, SError in each group) to trap_common.
	.macro	ventry kind
	.balign	0x80
	sub	sp, sp, #272
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	trap_common
	.endm

	.text
	.balign	0x800
vectors:
	.irp	kind, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	ventry	\kind
	.endr

// Frame: x0..x30 at 8 * n, ELR_EL1 at 248, SPSR_EL1 at 256.
trap_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x2, elr_el1
	mrs	x3, spsr_el1
	stp	x30, x2, [sp, #240]
	str	x3, [sp, #256]
	mov	x1, sp
	bl	arm64_trap
	ldr	x3, [sp, #256]
	ldp	x30, x2, [sp, #240]
	msr	elr_el1, x2
	msr	spsr_el1, x3
	ldp	x28, x29, [sp, #224]
	ldp	x26, x27, [sp, #208]
	ldp	x24, x25, [sp, #192]
	ldp	x22, x23, [sp, #176]
	ldp	x20, x21, [sp, #160]
	ldp	x18, x19, [sp, #144]
	ldp	x16, x17, [sp, #128]
	ldp	x14, x15, [sp, #112]
	ldp	x12, x13, [sp, #96]
	ldp	x10, x11, [sp, #80]
	ldp	x8, x9, [sp, #64]
	ldp	x6, x7, [sp, #48]
	ldp	x4, x5, [sp, #32]
	ldp	x2, x3, [sp, #16]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #272
	eret
