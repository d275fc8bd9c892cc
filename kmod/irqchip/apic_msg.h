/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An interrupt message as the APIC bus carries it: what an I/O APIC
 * redirection entry, an MSI write or an IPI asks the local APICs to do.
 * Every interrupt source builds one; the local APIC side delivers it.
 * Nothing here knows about VMX: an SVM backend would use it unchanged.
 */
#ifndef RINGVM_APIC_MSG_H
#define RINGVM_APIC_MSG_H

#include <linux/types.h>
#include <asm/apicdef.h>

struct rv_apic_msg {
	u32 dest_id;		/* APIC ID, or logical destination */
	u32 delivery_mode;	/* APIC_DM_FIXED ... APIC_DM_EXTINT */
	u8 vector;
	bool dest_logical;
	bool level_trig;	/* the source waits for an EOI */
	bool assert;		/* level asserted: INIT de-assert has it clear */
	u32 shorthand;		/* RV_APIC_DEST_NOSHORT, APIC_DEST_SELF ... */
};

/* ICR destination shorthand "none" (SDM 10.6.1); asm/apicdef.h names the others. */
#define RV_APIC_DEST_NOSHORT	0

/* The MSI address window (SDM 11.11.1) and the fields of address and data. */
#define RV_MSI_ADDR_BASE	0xfee00000ULL
#define RV_MSI_ADDR_MASK	0xfff00000ULL
#define RV_MSI_ADDR_DEST_SHIFT	12
#define RV_MSI_ADDR_DEST_MASK	0xff
#define RV_MSI_ADDR_DEST_LOGICAL (1u << 2)
#define RV_MSI_DATA_VECTOR_MASK	0xff
#define RV_MSI_DATA_DM_MASK	0x700
#define RV_MSI_DATA_LEVEL_TRIG	(1u << 15)
#define RV_MSI_DATA_ASSERT	(1u << 14)

/*
 * An MSI write as a message.  Returns false for an address outside the
 * MSI window or a delivery mode a device may not ask for (SMI is refused
 * everywhere in ringvm; remote read and the reserved mode never deliver).
 */
static inline bool rv_msi_to_msg(u64 address, u32 data, struct rv_apic_msg *msg)
{
	u32 dm = data & RV_MSI_DATA_DM_MASK;

	if ((address & RV_MSI_ADDR_MASK) != RV_MSI_ADDR_BASE || address >> 32)
		return false;
	if (dm != APIC_DM_FIXED && dm != APIC_DM_LOWEST && dm != APIC_DM_NMI &&
	    dm != APIC_DM_INIT && dm != APIC_DM_EXTINT)
		return false;
	msg->dest_id = (address >> RV_MSI_ADDR_DEST_SHIFT) & RV_MSI_ADDR_DEST_MASK;
	msg->dest_logical = address & RV_MSI_ADDR_DEST_LOGICAL;
	msg->delivery_mode = dm;
	msg->vector = data & RV_MSI_DATA_VECTOR_MASK;
	msg->level_trig = data & RV_MSI_DATA_LEVEL_TRIG;
	msg->assert = true;	/* an MSI is an edge: always an assertion */
	msg->shorthand = RV_APIC_DEST_NOSHORT;
	return true;
}

#endif /* RINGVM_APIC_MSG_H */
