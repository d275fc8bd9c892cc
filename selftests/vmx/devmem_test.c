// SPDX-License-Identifier: GPL-2.0
/*
 * Device memory in memory slots: a VM_IO/VM_PFNMAP mapping (here /dev/mem
 * over the VGA text buffer the Bochs host emulates at 0xb8000, the same
 * kind of mapping as a PCI BAR's mmap) backs guest memory through EPT, with
 * no exit per access.  The guest reaches it only while, and only as, the
 * VMM maps it: the MMU notifier takes the EPT entries away with the VMM's
 * mapping, and a read-only mapping never becomes guest-writable.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "genl_util.h"
#include "vmx_util.h"

#define VGA_TEXT	0xb8000
#define DEV_GPA		0x800000ull	/* outside the 4 MiB RAM slot */
#define DEV_SIZE	0x2000u		/* two pages */
#define DEV_SLOT	1

/* Write RAX to device page 0, read device page 1 into RCX. */
RV_GUEST_CODE(g_dev_rw, 64,
	"mov $0x800000, %rbx\n movabs $0x1122334455667788, %rax\n mov %rax, 0x100(%rbx)\n"
	"mov 0x1008(%rbx), %rcx\n hlt\n");
/* Read device page 0 into RAX. */
RV_GUEST_CODE(g_dev_read, 64, "mov $0x800000, %rbx\n mov 0x100(%rbx), %rax\n hlt\n");
/* Report the device word at 0x800100 on port 0x92, forever. */
RV_GUEST_CODE(g_dev_poll, 64, "1: mov 0x800100, %eax\n out %eax, $0x92\n jmp 1b\n");
/* Read device page 0 into RAX, then write to it. */
RV_GUEST_CODE(g_dev_read_write, 64,
	"mov $0x800000, %rbx\n mov 0x100(%rbx), %rax\n movq $0x0bad, 0x200(%rbx)\n hlt\n");

FIXTURE(devmem) {
	struct rv_vm vm;
	int memfd;
};

FIXTURE_SETUP(devmem)
{
	RV_FIXTURE_SETUP(&self->vm, 1);
	self->memfd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	ASSERT_LE(0, self->memfd) TH_LOG("/dev/mem: %s", strerror(errno));
}

FIXTURE_TEARDOWN(devmem)
{
	if (self->memfd >= 0)
		close(self->memfd);
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

static uint8_t *map_vga(int memfd, int prot)
{
	return mmap(NULL, DEV_SIZE, prot, MAP_SHARED, memfd, VGA_TEXT);
}

static uint64_t device_bytes(void)
{
	struct rv_vm_stats st;

	if (rv_genl_dump(getpid(), &st) < 0 || !st.found)
		return ~0ull;
	return st.device_bytes;
}

static int restart(struct rv_vm *vm)
{
	return rv_set_rip_rsp(vm, 0, RV_CODE, RV_STACK);
}

TEST_F(devmem, guest_accesses_device_memory_without_exits)
{
	uint8_t *dev = map_vga(self->memfd, PROT_READ | PROT_WRITE);
	struct ringvm_regs regs;
	uint64_t v;

	ASSERT_NE(MAP_FAILED, dev);
	ASSERT_EQ(1, ioctl(self->vm.sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_DEVICE_MEMORY));
	memset(dev + 0x100, 0, 8);
	memcpy(dev + 0x1008, "DEVICE!!", 8);
	ASSERT_EQ(0, rv_set_slot(&self->vm, DEV_SLOT, 0, DEV_GPA, DEV_SIZE, dev));
	rv_load(&self->vm, RV_CODE, g_dev_rw_start, g_dev_rw_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));

	/* Both accesses complete in the guest: the first exit is the HLT. */
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	EXPECT_EQ(0, memcmp(&regs.rcx, "DEVICE!!", 8));
	memcpy(&v, dev + 0x100, 8);
	EXPECT_EQ(0x1122334455667788ull, v);
	EXPECT_EQ(DEV_SIZE, device_bytes());

	/* Deleting the slot takes the device pages out of the guest. */
	ASSERT_EQ(0, rv_set_slot(&self->vm, DEV_SLOT, 0, DEV_GPA, 0, dev));
	EXPECT_EQ(0, device_bytes());
	ASSERT_EQ(0, restart(&self->vm));
	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(&self->vm, 0));
	EXPECT_EQ(DEV_GPA + 0x100, self->vm.run[0]->mmio.phys_addr);
	munmap(dev, DEV_SIZE);
}

TEST_F(devmem, munmap_takes_device_memory_from_the_guest)
{
	uint8_t *dev = map_vga(self->memfd, PROT_READ | PROT_WRITE), *anon;
	struct ringvm_regs regs;

	ASSERT_NE(MAP_FAILED, dev);
	memcpy(dev + 0x100, "VGA-TEXT", 8);
	ASSERT_EQ(0, rv_set_slot(&self->vm, DEV_SLOT, 0, DEV_GPA, DEV_SIZE, dev));
	rv_load(&self->vm, RV_CODE, g_dev_read_start, g_dev_read_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	ASSERT_EQ(0, memcmp(&regs.rax, "VGA-TEXT", 8));
	ASSERT_EQ(0x1000, device_bytes());

	/* The slot stays; the VMM's mapping goes: so must the guest's. */
	ASSERT_EQ(0, munmap(dev, DEV_SIZE));
	EXPECT_EQ(0, device_bytes());
	ASSERT_EQ(0, restart(&self->vm));
	ASSERT_EQ(RINGVM_EXIT_INTERNAL_ERROR, rv_run(&self->vm, 0));
	EXPECT_EQ(RINGVM_INTERNAL_ERROR_EPT, self->vm.run[0]->internal.suberror);
	EXPECT_EQ(DEV_GPA + 0x100, self->vm.run[0]->internal.data[0]);
	EXPECT_EQ(EFAULT, self->vm.run[0]->internal.data[2]);

	/* Whatever the VMM maps there next is what the guest sees. */
	anon = mmap(dev, DEV_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(dev, anon);
	memcpy(anon + 0x100, "ANONPAGE", 8);
	ASSERT_EQ(0, restart(&self->vm));
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	EXPECT_EQ(0, memcmp(&regs.rax, "ANONPAGE", 8));
	EXPECT_EQ(0, device_bytes());
	ASSERT_EQ(0, rv_set_slot(&self->vm, DEV_SLOT, 0, DEV_GPA, 0, anon));
	munmap(anon, DEV_SIZE);
}

TEST_F(devmem, remapping_the_same_address_is_seen_by_the_guest)
{
	uint8_t *dev = map_vga(self->memfd, PROT_READ | PROT_WRITE), *again;
	struct ringvm_regs regs;

	/* Page 1 of the VGA buffer, then page 0 in its place (mmap MAP_FIXED). */
	ASSERT_NE(MAP_FAILED, dev);
	memcpy(dev + 0x100, "PAGE0!!!", 8);
	memcpy(dev + 0x1100, "PAGE1!!!", 8);
	again = mmap(dev, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		     self->memfd, VGA_TEXT + 0x1000);
	ASSERT_EQ(dev, again);
	ASSERT_EQ(0, rv_set_slot(&self->vm, DEV_SLOT, 0, DEV_GPA, DEV_SIZE, dev));
	rv_load(&self->vm, RV_CODE, g_dev_read_start, g_dev_read_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	ASSERT_EQ(0, memcmp(&regs.rax, "PAGE1!!!", 8));

	again = mmap(dev, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		     self->memfd, VGA_TEXT);
	ASSERT_EQ(dev, again);
	ASSERT_EQ(0, restart(&self->vm));
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	EXPECT_EQ(0, memcmp(&regs.rax, "PAGE0!!!", 8));
	munmap(dev, DEV_SIZE);
}

TEST_F(devmem, readonly_mapping_is_never_guest_writable)
{
	uint8_t *rw = map_vga(self->memfd, PROT_READ | PROT_WRITE);
	uint8_t *ro = map_vga(self->memfd, PROT_READ);
	struct ringvm_regs regs;

	ASSERT_NE(MAP_FAILED, rw);
	ASSERT_NE(MAP_FAILED, ro);
	memcpy(rw + 0x100, "READABLE", 8);
	memcpy(rw + 0x200, "SENTINEL", 8);
	/* A writable slot over a read-only mapping: the mapping's rights win. */
	ASSERT_EQ(0, rv_set_slot(&self->vm, DEV_SLOT, 0, DEV_GPA, DEV_SIZE, ro));
	rv_load(&self->vm, RV_CODE, g_dev_read_write_start, g_dev_read_write_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(RINGVM_EXIT_INTERNAL_ERROR, rv_run(&self->vm, 0));
	EXPECT_EQ(RINGVM_INTERNAL_ERROR_EPT, self->vm.run[0]->internal.suberror);
	EXPECT_EQ(DEV_GPA + 0x200, self->vm.run[0]->internal.data[0]);
	EXPECT_EQ(EFAULT, self->vm.run[0]->internal.data[2]);
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	EXPECT_EQ(0, memcmp(&regs.rax, "READABLE", 8));	/* the read went through */
	EXPECT_EQ(0, memcmp(rw + 0x200, "SENTINEL", 8));
	ASSERT_EQ(0, rv_set_slot(&self->vm, DEV_SLOT, 0, DEV_GPA, 0, ro));
	munmap(ro, DEV_SIZE);
	munmap(rw, DEV_SIZE);
}

struct remapper {
	uint8_t *at;
	int memfd, failed;
	atomic_int done;
};

/* Swap VGA page 0 and page 1 under the guest, ending on page 1. */
static void *remap_loop(void *arg)
{
	struct remapper *r = arg;
	int i;

	for (i = 0; i < 200; i++)
		if (mmap(r->at, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 r->memfd, VGA_TEXT + (i & 1) * 0x1000) != r->at)
			r->failed = 1;
	atomic_store(&r->done, 1);
	return NULL;
}

static int poll_value(struct rv_vm *vm, uint32_t *v)
{
	if (rv_run(vm, 0) != RINGVM_EXIT_IO || vm->run[0]->io.port != 0x92)
		return -1;
	memcpy(v, rv_pio_data(vm, 0), 4);
	return 0;
}

/*
 * The VMM swaps the mapping under a guest that keeps reading it: every
 * read sees one of the two pages, never anything else (a fault that raced
 * an invalidation retries), and once the VMM stops, the page it left.
 */
TEST_F(devmem, remaps_racing_guest_reads)
{
	uint8_t *dev = map_vga(self->memfd, PROT_READ | PROT_WRITE);
	struct remapper r = { .memfd = self->memfd };
	unsigned long reads = 0, odd = 0;
	pthread_t t;
	uint32_t v;

	ASSERT_NE(MAP_FAILED, dev);
	memcpy(dev + 0x100, "\x11\x11\x11\x11", 4);
	memcpy(dev + 0x1100, "\x22\x22\x22\x22", 4);
	r.at = dev;
	ASSERT_EQ(0, rv_set_slot(&self->vm, DEV_SLOT, 0, DEV_GPA, 0x1000, dev));
	rv_load(&self->vm, RV_CODE, g_dev_poll_start, g_dev_poll_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, pthread_create(&t, NULL, remap_loop, &r));
	while (!atomic_load(&r.done)) {
		ASSERT_EQ(0, poll_value(&self->vm, &v));
		reads++;
		odd += v != 0x11111111 && v != 0x22222222;
	}
	pthread_join(t, NULL);
	TH_LOG("%lu guest reads during 200 remaps", reads);
	EXPECT_EQ(0, r.failed);
	EXPECT_EQ(0, odd);
	ASSERT_EQ(0, poll_value(&self->vm, &v));
	EXPECT_EQ(0x22222222, v);
	munmap(dev, DEV_SIZE);
}

/*
 * A VMM that dies with device memory mapped: exit_mmap tears the mapping
 * down (the notifier's release) before the VM's files are closed.
 */
TEST_F(devmem, owner_exit_with_device_memory_mapped)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rv_vm vm;
		uint8_t *dev;

		if (rv_vm_init(&vm, 1))
			_exit(10);
		dev = map_vga(self->memfd, PROT_READ | PROT_WRITE);
		if (dev == MAP_FAILED ||
		    rv_set_slot(&vm, DEV_SLOT, 0, DEV_GPA, DEV_SIZE, dev))
			_exit(11);
		rv_load(&vm, RV_CODE, g_dev_rw_start, g_dev_rw_end);
		if (rv_long_mode(&vm, 0, RV_CODE) || rv_run(&vm, 0) != RINGVM_EXIT_HLT)
			_exit(12);
		if (device_bytes() != DEV_SIZE)
			_exit(13);
		_exit(0);	/* with every fd and mapping still open */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* The parent's VM is untouched and its RAM still runs guest code. */
	rv_load(&self->vm, RV_CODE, g_dev_read_start, g_dev_read_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	EXPECT_EQ(RINGVM_EXIT_MMIO, rv_run(&self->vm, 0));
}

TEST_HARNESS_MAIN
