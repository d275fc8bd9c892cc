// SPDX-License-Identifier: GPL-2.0
/*
 * SET_IRQS: the device's INTx, MSI or MSI-X vectors each signal an eventfd.
 * INTx is level triggered and may share its line, so the handler masks it
 * at the device (DisINTx) and it stays masked until userspace, having
 * serviced the device, calls UNMASK_INTX.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "rvfio.h"


static unsigned int rvfio_irq_count(struct pci_dev *pdev, u32 index)
{
	int n;

	switch (index) {
	case RINGVM_VFIO_IRQ_INTX:
		/* A VF has no INTx, whatever its pin says (config.c). */
		return pdev->pin && pdev->irq && !pdev->is_virtfn ? 1 : 0;
	case RINGVM_VFIO_IRQ_MSI:
		n = pci_msi_vec_count(pdev);
		return n > 0 ? n : 0;
	case RINGVM_VFIO_IRQ_MSIX:
		n = pci_msix_vec_count(pdev);
		return n > 0 ? n : 0;
	}
	return 0;
}

long rvfio_irq_info(struct rvfio_dev *rdev, struct ringvm_vfio_irq_info *info)
{
	if (info->index >= RINGVM_VFIO_NUM_IRQS)
		return -EINVAL;
	info->count = rvfio_irq_count(rdev->pdev, info->index);
	return 0;
}

static irqreturn_t rvfio_msi_handler(int irq, void *data)
{
	struct rvfio_vector *v = data;

	rvfio_eventfd_signal(v->trigger);
	return IRQ_HANDLED;
}

static irqreturn_t rvfio_intx_handler(int irq, void *data)
{
	struct rvfio_vector *v = data;
	struct rvfio_dev *rdev = v->rdev;
	unsigned long flags;
	bool mine = false;

	spin_lock_irqsave(&rdev->intx_lock, flags);
	/* Masked means we already told userspace; the line may be someone else's. */
	if (!rdev->intx_masked && pci_check_and_mask_intx(rdev->pdev)) {
		rdev->intx_masked = true;
		mine = true;
	}
	spin_unlock_irqrestore(&rdev->intx_lock, flags);
	if (!mine)
		return IRQ_NONE;
	rvfio_eventfd_signal(v->trigger);
	return IRQ_HANDLED;
}

long rvfio_unmask_intx(struct rvfio_dev *rdev)
{
	unsigned long flags;
	bool again = false;

	if (rdev->irq_kind != RINGVM_VFIO_IRQ_INTX)
		return -EINVAL;
	spin_lock_irqsave(&rdev->intx_lock, flags);
	if (rdev->intx_masked) {
		/* Still asserted: stay masked and tell userspace once more. */
		if (pci_check_and_unmask_intx(rdev->pdev))
			rdev->intx_masked = false;
		else
			again = true;
	}
	spin_unlock_irqrestore(&rdev->intx_lock, flags);
	if (again)
		rvfio_eventfd_signal(rdev->vec[0].trigger);
	return 0;
}

/*
 * After a reset restored the command register: DisINTx as the handler
 * left it, so that a line masked for userspace stays masked.
 */
void rvfio_intx_reapply(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;
	unsigned long flags;
	u16 cmd;

	if (rdev->irq_kind != RINGVM_VFIO_IRQ_INTX)
		return;
	spin_lock_irqsave(&rdev->intx_lock, flags);
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (rdev->intx_masked)
		cmd |= PCI_COMMAND_INTX_DISABLE;
	else
		cmd &= ~PCI_COMMAND_INTX_DISABLE;
	pci_write_config_word(pdev, PCI_COMMAND, cmd);
	spin_unlock_irqrestore(&rdev->intx_lock, flags);
}

static void rvfio_free_vectors(struct rvfio_dev *rdev, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (rdev->vec[i].irq)
			free_irq(rdev->vec[i].irq, &rdev->vec[i]);
		if (rdev->vec[i].trigger)
			eventfd_ctx_put(rdev->vec[i].trigger);
	}
	kfree(rdev->vec);
	rdev->vec = NULL;
}

void rvfio_irqs_off(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;

	if (rdev->irq_kind < 0)
		return;
	rvfio_free_vectors(rdev, rdev->nvec);
	if (rdev->irq_kind == RINGVM_VFIO_IRQ_INTX)
		pci_intx(pdev, 0);
	else
		pci_free_irq_vectors(pdev);
	rdev->irq_kind = -1;
	rdev->nvec = 0;
	rdev->intx_masked = false;
}

static int rvfio_request(struct rvfio_dev *rdev, u32 index, unsigned int i)
{
	struct pci_dev *pdev = rdev->pdev;
	struct rvfio_vector *v = &rdev->vec[i];
	static const char * const kind[] = { "intx", "msi", "msix" };
	int irq, r;

	if (index == RINGVM_VFIO_IRQ_INTX)
		irq = pdev->irq;
	else
		irq = pci_irq_vector(pdev, i);
	if (irq < 0)
		return irq;
	snprintf(v->name, sizeof(v->name), "ringvm-vfio-%s[%u](%s)",
		 kind[index], i, pci_name(pdev));
	if (index == RINGVM_VFIO_IRQ_INTX)
		r = request_irq(irq, rvfio_intx_handler, IRQF_SHARED, v->name, v);
	else
		r = request_irq(irq, rvfio_msi_handler, 0, v->name, v);
	if (!r)
		v->irq = irq;
	return r;
}

static int rvfio_irqs_on(struct rvfio_dev *rdev, u32 index, const s32 *fds,
			 unsigned int count)
{
	struct pci_dev *pdev = rdev->pdev;
	unsigned int i;
	int r;

	rdev->vec = kcalloc(count, sizeof(*rdev->vec), GFP_KERNEL_ACCOUNT);
	if (!rdev->vec)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		struct eventfd_ctx *ctx = eventfd_ctx_fdget(fds[i]);

		if (IS_ERR(ctx)) {
			r = PTR_ERR(ctx);
			goto free;
		}
		rdev->vec[i].trigger = ctx;
		rdev->vec[i].rdev = rdev;
	}
	if (index == RINGVM_VFIO_IRQ_INTX) {
		/* Handler first: an asserted line with no one to mask it would storm. */
		rdev->intx_masked = false;
	} else {
		r = pci_alloc_irq_vectors(pdev, count, count,
					  index == RINGVM_VFIO_IRQ_MSI ?
					  PCI_IRQ_MSI : PCI_IRQ_MSIX);
		if (r < 0)
			goto free;
	}
	for (i = 0; i < count; i++) {
		r = rvfio_request(rdev, index, i);
		if (r)
			goto disable;
	}
	if (index == RINGVM_VFIO_IRQ_INTX)
		pci_intx(pdev, 1);
	rdev->irq_kind = index;
	rdev->nvec = count;
	return 0;

disable:
	rvfio_free_vectors(rdev, count);
	if (index == RINGVM_VFIO_IRQ_INTX)
		pci_intx(pdev, 0);
	else
		pci_free_irq_vectors(pdev);
	return r;
free:
	rvfio_free_vectors(rdev, count);
	return r;
}

/* @fds: the set's count eventfds, copied in by the caller before it locked. */
long rvfio_set_irqs(struct rvfio_dev *rdev,
		    const struct ringvm_vfio_irq_set *set, const s32 *fds)
{
	if (set->index >= RINGVM_VFIO_NUM_IRQS)
		return -EINVAL;
	if (!set->count) {
		if (rdev->irq_kind != set->index)
			return -EINVAL;
		rvfio_irqs_off(rdev);
		return 0;
	}
	if (set->count > RVFIO_MAX_VECTORS ||
	    set->count > rvfio_irq_count(rdev->pdev, set->index))
		return -EINVAL;
	if (set->index == RINGVM_VFIO_IRQ_INTX &&
	    !pci_intx_mask_supported(rdev->pdev))
		return -EOPNOTSUPP;
	/* One kind at a time, as with vfio-pci: the device cannot mix them. */
	if (rdev->irq_kind >= 0)
		return -EBUSY;
	return rvfio_irqs_on(rdev, set->index, fds, set->count);
}
