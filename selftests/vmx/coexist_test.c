// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm.ko next to Debian's kvm-intel.ko on the same host.  On 6.1 both
 * turn VMX on only while one of their VMs exists, so they take turns: the
 * one that holds VMX makes the other's CREATE_VM fail with EBUSY, and once
 * its VMs are gone the other runs guests as if it had been alone.
 *
 * Every case loads ringvm and the kvm modules and unloads all of them at
 * teardown, because the suites after this one expect no hypervisor loaded.
 */
#include "kselftest_harness.h"
#include "kvm_util.h"

#define ENTRY		0x7c00u
#define PORT		0x10
#define BUSY_MSG	"another hypervisor (kvm-intel?) holds VMX"

/* The byte OUT sends is the immediate at ENTRY + 1, patched per run. */
RV_GUEST_CODE(out16, 16, "mov $0x00, %al\n out %al, $0x10\n hlt\n");

FIXTURE(coexist) {
	struct rv_vm rv;
	struct kt_vm kt;
	int kmsg;
};

FIXTURE_SETUP(coexist)
{
	int r;

	memset(&self->rv, 0, sizeof(self->rv));
	memset(&self->kt, 0, sizeof(self->kt));
	self->kt.sys = self->kt.fd = self->kt.vcpu = -1;
	self->kmsg = -1;
	ASSERT_EQ(0, rv_load_module("ringvm"));
	r = kt_load_kvm();
	if (r) {
		TH_LOG("loading irqbypass, kvm, kvm-intel: %s", strerror(-r));
		rv_unload_module("ringvm");
	}
	ASSERT_EQ(0, r);
}

FIXTURE_TEARDOWN(coexist)
{
	if (self->kmsg >= 0)
		close(self->kmsg);
	rv_vm_destroy(&self->rv);
	kt_vm_destroy(&self->kt);
	EXPECT_EQ(0, kt_unload_kvm());
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

/* Builds a ringvm VM in self->rv; its failure step and errno are logged. */
static int rv_open(struct __test_metadata *_metadata, struct rv_vm *vm)
{
	int r = rv_vm_init(vm, 1);

	if (r) {
		TH_LOG("ringvm: %s: %s", vm->failed, strerror(-r));
		rv_vm_destroy(vm);
	}
	return r;
}

static int kt_open(struct __test_metadata *_metadata, struct kt_vm *vm)
{
	int r = kt_vm_init(vm);

	if (r) {
		TH_LOG("kvm: %s: %s", vm->failed, strerror(-r));
		kt_vm_destroy(vm);
	}
	return r;
}

/* A real-mode guest on ringvm reaches OUT PORT with @value, then the VM goes. */
static void rv_guest_out(struct __test_metadata *_metadata, struct rv_vm *vm, uint8_t value)
{
	struct ringvm_run *run;

	ASSERT_EQ(0, rv_open(_metadata, vm));
	rv_load(vm, ENTRY, out16_start, out16_end);
	vm->mem[ENTRY + 1] = value;
	ASSERT_EQ(0, rv_real_mode(vm, 0, ENTRY));
	run = vm->run[0];
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(vm, 0));
	ASSERT_EQ(RINGVM_EXIT_IO_OUT, run->io.direction);
	ASSERT_EQ(PORT, run->io.port);
	ASSERT_EQ(1, run->io.size);
	ASSERT_EQ(value, *(uint8_t *)rv_pio_data(vm, 0));
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(vm, 0));
	rv_vm_destroy(vm);
}

/* The same guest on KVM. */
static void kt_guest_out(struct __test_metadata *_metadata, struct kt_vm *vm, uint8_t value)
{
	struct kvm_run *run;

	ASSERT_EQ(0, kt_open(_metadata, vm));
	kt_load(vm, ENTRY, out16_start, out16_end);
	vm->mem[ENTRY + 1] = value;
	ASSERT_EQ(0, kt_real_mode(vm, ENTRY));
	run = vm->run;
	ASSERT_EQ(KVM_EXIT_IO, kt_run(vm));
	ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
	ASSERT_EQ(PORT, run->io.port);
	ASSERT_EQ(1, run->io.size);
	ASSERT_EQ(1, run->io.count);
	ASSERT_EQ(value, *(uint8_t *)kt_pio_data(vm));
	/* Without an in-kernel irqchip, HLT is KVM's userspace exit too. */
	ASSERT_EQ(KVM_EXIT_HLT, kt_run(vm));
	kt_vm_destroy(vm);
}

TEST_F(coexist, ringvm_vm_blocks_kvm)
{
	int r;

	ASSERT_EQ(0, rv_open(_metadata, &self->rv));
	r = kt_vm_init(&self->kt);
	ASSERT_EQ(-EBUSY, r) TH_LOG("kvm failed at %s", self->kt.failed ?: "nothing");
	ASSERT_STREQ("KVM_CREATE_VM", self->kt.failed);
	kt_vm_destroy(&self->kt);

	/* ringvm's VMXOFF on its last VM is what lets KVM in. */
	rv_vm_destroy(&self->rv);
	kt_guest_out(_metadata, &self->kt, 0x5a);
}

TEST_F(coexist, kvm_vm_blocks_ringvm)
{
	int r;

	ASSERT_EQ(0, kt_open(_metadata, &self->kt));
	self->kmsg = rv_kmsg_open_tail();
	ASSERT_LE(0, self->kmsg);
	r = rv_vm_init(&self->rv, 1);
	ASSERT_EQ(-EBUSY, r) TH_LOG("ringvm failed at %s", self->rv.failed ?: "nothing");
	ASSERT_STREQ("RINGVM_CREATE_VM", self->rv.failed);
	rv_vm_destroy(&self->rv);
	ASSERT_TRUE(rv_kmsg_find(self->kmsg, BUSY_MSG));

	kt_vm_destroy(&self->kt);
	rv_guest_out(_metadata, &self->rv, 0xa5);
}

/*
 * Twenty hand-overs each way: a leak of VMX state on either side (VMXE left
 * in CR4, a VMCS left current) would make the next CREATE_VM fail or the
 * next guest misbehave long before the end.
 */
TEST_F(coexist, alternate_20_times)
{
	int i;

	for (i = 0; i < 20; i++) {
		rv_guest_out(_metadata, &self->rv, 0x10 + i);
		kt_guest_out(_metadata, &self->kt, 0x80 + i);
	}
}

TEST_HARNESS_MAIN
