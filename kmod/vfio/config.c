// SPDX-License-Identifier: GPL-2.0
/*
 * Config space as userspace sees it: a permission table per byte of the
 * standard 256 bytes, built at open from the header and the capability
 * list, in the manner of vfio-pci's per-capability tables.
 *
 * Each byte has bits written to the device (wmask), bits kept in a
 * virtual copy that reads return instead of the device's (vmask; a write
 * changes them, unless the byte is fixed: a VF's IDs and pin), and
 * read-only bits, which a write leaves as they are, as hardware does.
 * Bytes the broker programs itself (BARs, ROM BAR, MSI, MSI-X) refuse
 * writes with EPERM.  Known capabilities get their own table; unknown
 * ones are read-only; bytes outside any capability (device-specific
 * registers) go to the device as they are, as vfio-pci lets them.  The
 * extended config space (0x100 and up: AER, Resizable BAR, SR-IOV, ACS...)
 * is read-only in full.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/pci.h>
#include <linux/sort.h>

#include "compat.h"
#include "rvfio.h"

#define RVFIO_MAX_CAPS	48	/* at most 48 four-byte-aligned capabilities fit */

static void rvfio_perm(struct rvfio_dev *rdev, unsigned int pos, u16 wmask,
		       u16 vmask)
{
	rdev->cfg_wmask[pos] = wmask & 0xff;
	rdev->cfg_vmask[pos] = vmask & 0xff;
	rdev->cfg_wmask[pos + 1] = wmask >> 8;
	rdev->cfg_vmask[pos + 1] = vmask >> 8;
}

/* Length of the MSI capability, which depends on its own flags. */
static unsigned int rvfio_msi_len(struct pci_dev *pdev, unsigned int pos)
{
	unsigned int len = 10;
	u16 ctrl;

	pci_read_config_word(pdev, pos + PCI_MSI_FLAGS, &ctrl);
	if (ctrl & PCI_MSI_FLAGS_64BIT)
		len += 4;
	if (ctrl & PCI_MSI_FLAGS_MASKBIT)
		len += 10;
	return len;
}

static unsigned int rvfio_exp_len(struct pci_dev *pdev, unsigned int pos)
{
	u16 flags;

	pci_read_config_word(pdev, pos + PCI_EXP_FLAGS, &flags);
	return (flags & PCI_EXP_FLAGS_VERS) > 1 ? PCI_CAP_EXP_ENDPOINT_SIZEOF_V2 :
						   PCI_CAP_EXP_ENDPOINT_SIZEOF_V1;
}

/*
 * Power management: the power state is virtual.  A device in D3hot
 * answers MMIO with Unsupported Requests, which on many servers become
 * fatal errors: the device stays in D0 and userspace reads back the state
 * it asked for.  PME enable and the RW1C PME status go to the device.
 */
static void rvfio_perm_pm(struct rvfio_dev *rdev, unsigned int pos)
{
	rvfio_perm(rdev, pos + PCI_PM_CTRL,
		   PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS,
		   PCI_PM_CTRL_STATE_MASK);
}

/*
 * PCI Express: in device control, Max Payload Size must match what the
 * host programmed along the path and phantom functions would let the
 * device issue requests under other functions' IDs, so both are virtual;
 * initiate-FLR is virtual too and becomes the broker's own reset.  The
 * error-reporting enables, relaxed ordering, extended tags, no-snoop and
 * max read request go to the device, as do the RW1C device status bits.
 * Everything else in the capability (link, slot, root control, the "2"
 * registers) is read-only.
 */
static void rvfio_perm_exp(struct rvfio_dev *rdev, unsigned int pos)
{
	rvfio_perm(rdev, pos + PCI_EXP_DEVCTL,
		   PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE |
		   PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE |
		   PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_EXT_TAG |
		   PCI_EXP_DEVCTL_AUX_PME | PCI_EXP_DEVCTL_NOSNOOP_EN |
		   PCI_EXP_DEVCTL_READRQ,
		   PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_PHANTOM |
		   PCI_EXP_DEVCTL_BCR_FLR);
	rvfio_perm(rdev, pos + PCI_EXP_DEVSTA,
		   PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED |
		   PCI_EXP_DEVSTA_FED | PCI_EXP_DEVSTA_URD, 0);
}

static int rvfio_cmp_u8(const void *a, const void *b)
{
	return *(const u8 *)a - *(const u8 *)b;
}

/* Walks the capability list; fills @pos with their offsets, sorted. */
static int rvfio_cap_offsets(struct pci_dev *pdev, u8 *pos)
{
	int n = 0;
	u8 p = 0;

	pci_read_config_byte(pdev, PCI_CAPABILITY_LIST, &p);
	while (p >= PCI_STD_HEADER_SIZEOF && n < RVFIO_MAX_CAPS) {
		p &= ~3;
		pos[n++] = p;
		pci_read_config_byte(pdev, p + PCI_CAP_LIST_NEXT, &p);
	}
	sort(pos, n, 1, rvfio_cmp_u8, NULL);
	return n;
}

/*
 * An SR-IOV virtual function's vendor and device IDs read as 0xffff (the
 * PF's SR-IOV capability holds them; the PCI core read them from there),
 * and it has no INTx, whatever its interrupt pin says (QEMU 7.2's NVMe VFs
 * report pin A): the IDs are virtual, the pin reads 0.
 */
static void rvfio_config_init_vf(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;

	rvfio_perm(rdev, PCI_VENDOR_ID, 0, 0xffff);
	rvfio_perm(rdev, PCI_DEVICE_ID, 0, 0xffff);
	rdev->cfg_virt[PCI_VENDOR_ID] = pdev->vendor & 0xff;
	rdev->cfg_virt[PCI_VENDOR_ID + 1] = pdev->vendor >> 8;
	rdev->cfg_virt[PCI_DEVICE_ID] = pdev->device & 0xff;
	rdev->cfg_virt[PCI_DEVICE_ID + 1] = pdev->device >> 8;
	bitmap_set(rdev->cfg_fixed, PCI_VENDOR_ID, 4);
	rdev->cfg_wmask[PCI_INTERRUPT_PIN] = 0;
	rdev->cfg_vmask[PCI_INTERRUPT_PIN] = 0xff;
	rdev->cfg_virt[PCI_INTERRUPT_PIN] = 0;
	__set_bit(PCI_INTERRUPT_PIN, rdev->cfg_fixed);
}

/* Builds the permission table and the virtual copy; at open, after reset. */
void rvfio_config_init(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;
	u8 caps[RVFIO_MAX_CAPS];
	unsigned int i, p, end, len;
	bool fits;
	int n;

	memset(rdev->cfg_wmask, 0, sizeof(rdev->cfg_wmask));
	memset(rdev->cfg_vmask, 0, sizeof(rdev->cfg_vmask));
	bitmap_zero(rdev->cfg_owned, PCI_CFG_SPACE_SIZE);
	bitmap_zero(rdev->cfg_fixed, PCI_CFG_SPACE_SIZE);
	rdev->exp_cap = 0;

	/* Header: bus master and INTx disable are the broker's (see rvfio_config_write). */
	rvfio_perm(rdev, PCI_COMMAND,
		   PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_SPECIAL |
		   PCI_COMMAND_INVALIDATE | PCI_COMMAND_VGA_PALETTE |
		   PCI_COMMAND_PARITY | PCI_COMMAND_WAIT | PCI_COMMAND_SERR |
		   PCI_COMMAND_FAST_BACK, 0);
	rvfio_perm(rdev, PCI_STATUS,
		   PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
		   PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
		   PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY, 0);
	rdev->cfg_wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	rdev->cfg_wmask[PCI_LATENCY_TIMER] = 0xff;
	rdev->cfg_wmask[PCI_INTERRUPT_LINE] = 0xff;	/* a scratch register */
	bitmap_set(rdev->cfg_owned, PCI_BASE_ADDRESS_0, 6 * 4);
	bitmap_set(rdev->cfg_owned, PCI_ROM_ADDRESS, 4);

	/* Device-specific bytes outside every capability: raw, as in vfio-pci. */
	memset(rdev->cfg_wmask + PCI_STD_HEADER_SIZEOF, 0xff,
	       PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF);

	n = rvfio_cap_offsets(pdev, caps);
	for (i = 0; i < n; i++) {
		u8 id;

		p = caps[i];
		/* An unknown capability ends where the next begins. */
		end = i + 1 < n ? caps[i + 1] : PCI_CFG_SPACE_SIZE;
		pci_read_config_byte(pdev, p + PCI_CAP_LIST_ID, &id);
		switch (id) {
		case PCI_CAP_ID_PM:
			len = PCI_PM_SIZEOF;
			break;
		case PCI_CAP_ID_MSI:
			len = rvfio_msi_len(pdev, p);
			break;
		case PCI_CAP_ID_MSIX:
			len = PCI_CAP_MSIX_SIZEOF;
			break;
		case PCI_CAP_ID_EXP:
			len = rvfio_exp_len(pdev, p);
			break;
		default:
			len = end - p;
		}
		/* A capability that runs past 0xff is malformed: read-only. */
		fits = p + len <= PCI_CFG_SPACE_SIZE;
		len = min(len, PCI_CFG_SPACE_SIZE - p);
		memset(rdev->cfg_wmask + p, 0, len);
		if (id == PCI_CAP_ID_MSI || id == PCI_CAP_ID_MSIX)
			bitmap_set(rdev->cfg_owned, p, len);	/* SET_IRQS programs them */
		else if (id == PCI_CAP_ID_PM && fits)
			rvfio_perm_pm(rdev, p);
		else if (id == PCI_CAP_ID_EXP && fits)
			rdev->exp_cap = p;
	}
	if (rdev->exp_cap)
		rvfio_perm_exp(rdev, rdev->exp_cap);

	for (i = 0; i < PCI_CFG_SPACE_SIZE; i += 4)
		pci_read_config_dword(pdev, i, (u32 *)(rdev->cfg_virt + i));
	/* Initiate-FLR reads as 0, as on hardware. */
	if (rdev->exp_cap)
		rdev->cfg_virt[rdev->exp_cap + PCI_EXP_DEVCTL + 1] &=
			~(PCI_EXP_DEVCTL_BCR_FLR >> 8);
	if (pdev->is_virtfn)
		rvfio_config_init_vf(rdev);
	/*
	 * A function without Command.Memory Space (a VF, whose BARs the PF's
	 * VF Memory Space Enable decodes; s390 sets the flag on VFs it sees
	 * without their PF): the bit is virtual, set as pci_enable_device()
	 * sets it on any other function, and the BARs decode by it
	 * (rvfio_bars_update).  vfio-pci lets such BARs decode always; here
	 * userspace turning the bit off still cuts every access and mapping,
	 * as it does on a PF.
	 */
	if (pdev->no_command_memory) {
		rdev->cfg_wmask[PCI_COMMAND] &= ~PCI_COMMAND_MEMORY;
		rdev->cfg_vmask[PCI_COMMAND] |= PCI_COMMAND_MEMORY;
		rdev->cfg_virt[PCI_COMMAND] |= PCI_COMMAND_MEMORY;
	}
}

static u32 rvfio_mask(const u8 *m, unsigned int pos, unsigned int len)
{
	u32 v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (u32)m[pos + i] << (8 * i);
	return v;
}

static int rvfio_cfg_read_dev(struct pci_dev *pdev, unsigned int pos,
			      unsigned int len, u32 *val)
{
	u16 w;
	u8 b;
	int r;

	if (len == 1) {
		r = pci_read_config_byte(pdev, pos, &b);
		*val = b;
	} else if (len == 2) {
		r = pci_read_config_word(pdev, pos, &w);
		*val = w;
	} else {
		r = pci_read_config_dword(pdev, pos, val);
	}
	return r ? pcibios_err_to_errno(r) : 0;
}

static int rvfio_cfg_write_dev(struct pci_dev *pdev, unsigned int pos,
			       unsigned int len, u32 val)
{
	int r;

	if (len == 1)
		r = pci_write_config_byte(pdev, pos, val);
	else if (len == 2)
		r = pci_write_config_word(pdev, pos, val);
	else
		r = pci_write_config_dword(pdev, pos, val);
	return r ? pcibios_err_to_errno(r) : 0;
}

/* Under rdev->lock; @len is 1, 2 or 4 and @pos aligned to it. */
int rvfio_config_read(struct rvfio_dev *rdev, unsigned int pos,
		      unsigned int len, u32 *val)
{
	u32 dev, vmask;
	int r;

	r = rvfio_cfg_read_dev(rdev->pdev, pos, len, &dev);
	if (r || pos >= PCI_CFG_SPACE_SIZE) {
		*val = dev;
		return r;
	}
	vmask = rvfio_mask(rdev->cfg_vmask, pos, len);
	*val = (dev & ~vmask) | (rvfio_mask(rdev->cfg_virt, pos, len) & vmask);
	return 0;
}

static bool rvfio_in(unsigned int pos, unsigned int len, unsigned int start,
		     unsigned int size)
{
	return pos < start + size && start < pos + len;
}

/*
 * Under rdev->lock.  Returns len, or -EPERM for a write touching a byte
 * the broker programs itself (nothing is written then).
 */
int rvfio_config_write(struct rvfio_dev *rdev, unsigned int pos,
		       unsigned int len, u32 val)
{
	struct pci_dev *pdev = rdev->pdev;
	bool cmd = rvfio_in(pos, len, PCI_COMMAND, 2);
	u32 wmask, dev, flr = 0;
	unsigned long flags;
	unsigned int i;
	int r = 0;

	if (pos >= PCI_CFG_SPACE_SIZE)
		return len;		/* extended space: read-only */
	if (find_next_bit(rdev->cfg_owned, pos + len, pos) < pos + len)
		return -EPERM;

	wmask = rvfio_mask(rdev->cfg_wmask, pos, len);
	for (i = 0; i < len; i++) {
		u8 vm = test_bit(pos + i, rdev->cfg_fixed) ? 0 :
			rdev->cfg_vmask[pos + i];

		rdev->cfg_virt[pos + i] = (rdev->cfg_virt[pos + i] & ~vm) |
					  ((val >> (8 * i)) & vm);
	}
	if (rdev->exp_cap && rvfio_in(pos, len, rdev->exp_cap + PCI_EXP_DEVCTL + 1, 1)) {
		u8 *hi = &rdev->cfg_virt[rdev->exp_cap + PCI_EXP_DEVCTL + 1];

		flr = *hi & (PCI_EXP_DEVCTL_BCR_FLR >> 8);
		*hi &= ~(PCI_EXP_DEVCTL_BCR_FLR >> 8);
	}

	if (cmd) {
		down_write(&rdev->memory_lock);
		/*
		 * Decode going off: every BAR page leaves the owner's page
		 * tables (and the guest's, through the MMU notifiers) before
		 * the device stops decoding, or another thread of the owner
		 * could still touch a mapped page of a BAR that no longer
		 * answers (an Unsupported Request, a machine check on some
		 * platforms).  Accesses through read/write wait on
		 * memory_lock and then see bars_enabled.
		 */
		if (rvfio_in(pos, len, PCI_COMMAND, 1) &&
		    !((val >> (8 * (PCI_COMMAND - pos))) & PCI_COMMAND_MEMORY)) {
			rdev->bars_enabled = false;
			if (rdev->mapping)
				unmap_mapping_range(rdev->mapping, 0, 0, true);
		}
	}
	if (wmask) {
		/*
		 * Read, merge and write under intx_lock, which the INTx
		 * handler holds while it sets DisINTx in the same register.
		 */
		spin_lock_irqsave(&rdev->intx_lock, flags);
		r = rvfio_cfg_read_dev(pdev, pos, len, &dev);
		if (!r)
			r = rvfio_cfg_write_dev(pdev, pos, len,
						(dev & ~wmask) | (val & wmask));
		spin_unlock_irqrestore(&rdev->intx_lock, flags);
	}
	/* A write of the virtual bit alone (no_command_memory) counts too. */
	if (cmd) {
		rvfio_bars_update(rdev);
		up_write(&rdev->memory_lock);
	}
	if (!r && flr)
		r = rvfio_reset_device(rdev);
	return r < 0 ? r : len;
}
