// SPDX-License-Identifier: GPL-2.0
/*
 * mica_ivc: Mica's channels between VMs, for user space in a Linux guest.
 *
 * Each node "mica,ivc" of the guest's device tree is one end of a channel
 * (docs/ivc.md): memory the VMs share, an interrupt the peers' doorbells
 * raise here, and a doorbell to ring each peer. This driver makes a misc
 * device /dev/ivc-NAME for it, NAME the node's mica,channel, on which
 *
 *   mmap   maps the channel's memory (shared only; readable only on a
 *          read-only end);
 *   read   waits until the count of the channel's interrupts differs from
 *          the one this open file last saw (at open: the count then), and
 *          answers the count, 8 bytes; with O_NONBLOCK, -EAGAIN instead of
 *          waiting; poll says readable on the same condition;
 *   write  of 4 bytes, a peer's index k, rings the doorbell that reaches
 *          it (mica,doorbells[k]); -EIO if the hypervisor refuses;
 *   ioctl  MICA_IVC_INFO gives the size, the peer count and the flags.
 *
 * and whose sysfs directory (/sys/class/misc/ivc-NAME) shows the same in
 * size, read_only, peers and doorbells, and the count in interrupts.
 *
 * Debian's kernel has no generic driver (uio_pdrv_genirq) for this, so the
 * project builds this module against Debian's headers (apps/linux).
 */
#include <linux/arm-smccc.h>
#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/ioctl.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <mica/abi/hypercall.h>

#include "mica_ivc.h"

static_assert(sizeof(struct mica_ivc_info) == 16);
static_assert(MICA_IVC_INFO == _IOR('m', 1, struct mica_ivc_info));

/*
 * One end of a channel. It lives as long as the device is bound, which is
 * as long as the module is loaded (the driver cannot be unbound through
 * sysfs), and an open file or a mapping holds the module.
 */
struct mica_ivc {
	struct miscdevice misc;
	phys_addr_t base;     /* guest-physical address of the memory */
	resource_size_t size; /* its bytes, a multiple of the page size */
	bool is_read_only;    /* mica,read-only: map for reading only */
	unsigned int peer_count;
	const char **peers;	   /* the peers' VM names, from the device tree */
	u32 *doorbells;		   /* doorbells[k] rings peers[k] */
	atomic64_t interrupts;	   /* taken so far */
	wait_queue_head_t waiters; /* woken by each interrupt */
};

/* An open file: the interrupt count it last saw. */
struct mica_ivc_file {
	struct mica_ivc *ivc;
	u64 seen;
};

static struct mica_ivc *ivc_of_file(struct file *file)
{
	return ((struct mica_ivc_file *)file->private_data)->ivc;
}

/*
 * A peer rang: the interrupt is an edge, and rings that come while it is
 * pending make one, so the count says "look at the memory again", not how
 * many rings there were.
 */
static irqreturn_t ivc_interrupt(int irq, void *data)
{
	struct mica_ivc *ivc = data;

	atomic64_inc(&ivc->interrupts);
	wake_up_interruptible(&ivc->waiters);
	return IRQ_HANDLED;
}

static int ivc_open(struct inode *inode, struct file *file)
{
	/* The misc core points private_data at the miscdevice opened. */
	struct mica_ivc *ivc = container_of(file->private_data, struct mica_ivc, misc);
	struct mica_ivc_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->ivc = ivc;
	f->seen = atomic64_read(&ivc->interrupts);
	file->private_data = f;
	return stream_open(inode, file);
}

static int ivc_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

/* Whether interrupts came since the file last read; *count is the count. */
static bool ivc_has_news(struct mica_ivc_file *f, u64 *count)
{
	/*
	 * Acquire: the reader's loads of the channel come after it learns of
	 * the interrupt, as the peer's stores came before its ring.
	 */
	*count = atomic64_read_acquire(&f->ivc->interrupts);
	return *count != READ_ONCE(f->seen);
}

static ssize_t ivc_read(struct file *file, char __user *buf, size_t len, loff_t *pos)
{
	struct mica_ivc_file *f = file->private_data;
	u64 count;

	if (len < MICA_IVC_COUNT_SIZE)
		return -EINVAL;
	if (!ivc_has_news(f, &count)) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(f->ivc->waiters, ivc_has_news(f, &count)))
			return -ERESTARTSYS;
	}
	if (copy_to_user(buf, &count, sizeof(count)))
		return -EFAULT;
	WRITE_ONCE(f->seen, count);
	return sizeof(count);
}

static __poll_t ivc_poll(struct file *file, poll_table *wait)
{
	struct mica_ivc_file *f = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM; /* a ring never waits */
	u64 count;

	poll_wait(file, &f->ivc->waiters, wait);
	if (ivc_has_news(f, &count))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static ssize_t ivc_write(struct file *file, const char __user *buf, size_t len, loff_t *pos)
{
	struct mica_ivc *ivc = ivc_of_file(file);
	struct arm_smccc_res res;
	u32 peer;

	if (len != MICA_IVC_PEER_SIZE)
		return -EINVAL;
	if (copy_from_user(&peer, buf, sizeof(peer)))
		return -EFAULT;
	if (peer >= ivc->peer_count)
		return -EINVAL;
	/*
	 * The peer reads the channel once it takes the interrupt, so what this
	 * CPU stored there, here or in user space before the call, must be
	 * visible before the ring: a DSB (docs/ivc.md, "The interrupt").
	 */
	wmb();
	arm_smccc_1_1_hvc(MICA_HVC_RING_DOORBELL, ivc->doorbells[peer], &res);
	if (res.a0 != MICA_HVC_SUCCESS)
		return -EIO;
	return len;
}

static int ivc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mica_ivc *ivc = ivc_of_file(file);
	unsigned long pages = ivc->size >> PAGE_SHIFT;
	unsigned long len = vma->vm_end - vma->vm_start;

	/* A private copy of shared memory would share nothing. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= pages || (len >> PAGE_SHIFT) > pages - vma->vm_pgoff)
		return -EINVAL;
	if (ivc->is_read_only) {
		/* The hypervisor maps it so; mprotect may not ask for more. */
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		vma->vm_flags &= ~VM_MAYWRITE;
	}
	/*
	 * The memory is normal RAM in every VM of the channel, and the others
	 * map it cacheable: so does this mapping, with vm_page_prot as mmap
	 * made it.
	 */
	return remap_pfn_range(vma, vma->vm_start, PHYS_PFN(ivc->base) + vma->vm_pgoff, len,
			       vma->vm_page_prot);
}

static long ivc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mica_ivc *ivc = ivc_of_file(file);
	struct mica_ivc_info info = {
		.size = ivc->size,
		.peer_count = ivc->peer_count,
		.flags = ivc->is_read_only ? MICA_IVC_READ_ONLY : 0,
	};

	if (cmd != MICA_IVC_INFO)
		return -ENOTTY;
	if (copy_to_user((void __user *)arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static const struct file_operations ivc_fops = {
	.owner = THIS_MODULE,
	.open = ivc_open,
	.release = ivc_release,
	.read = ivc_read,
	.write = ivc_write,
	.poll = ivc_poll,
	.mmap = ivc_mmap,
	.unlocked_ioctl = ivc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

/* The misc core makes the miscdevice its device's driver data. */
static struct mica_ivc *ivc_of_dev(struct device *dev)
{
	return container_of(dev_get_drvdata(dev), struct mica_ivc, misc);
}

static ssize_t size_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)ivc_of_dev(dev)->size);
}
static DEVICE_ATTR_RO(size);

static ssize_t read_only_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", ivc_of_dev(dev)->is_read_only);
}
static DEVICE_ATTR_RO(read_only);

/* The peers' names, one a line, in the order write() numbers them. */
static ssize_t peers_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mica_ivc *ivc = ivc_of_dev(dev);
	int len = 0;

	for (unsigned int k = 0; k < ivc->peer_count; k++)
		len += sysfs_emit_at(buf, len, "%s\n", ivc->peers[k]);
	return len;
}
static DEVICE_ATTR_RO(peers);

static ssize_t doorbells_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mica_ivc *ivc = ivc_of_dev(dev);
	int len = 0;

	for (unsigned int k = 0; k < ivc->peer_count; k++)
		len += sysfs_emit_at(buf, len, "%u\n", ivc->doorbells[k]);
	return len;
}
static DEVICE_ATTR_RO(doorbells);

static ssize_t interrupts_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&ivc_of_dev(dev)->interrupts));
}
static DEVICE_ATTR_RO(interrupts);

static struct attribute *ivc_attrs[] = {
	&dev_attr_size.attr,	  &dev_attr_read_only.attr,  &dev_attr_peers.attr,
	&dev_attr_doorbells.attr, &dev_attr_interrupts.attr, NULL,
};
ATTRIBUTE_GROUPS(ivc);

/*
 * Reads the node's properties into ivc, checking them all, with nothing
 * taken yet but memory that goes with the device.
 */
static int ivc_read_node(struct platform_device *pdev, struct mica_ivc *ivc, const char **channel)
{
	struct device *dev = &pdev->dev;
	struct device_node *np = dev->of_node;
	struct resource *mem = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	int peers;

	if (!mem || resource_size(mem) == 0 || !PAGE_ALIGNED(mem->start) ||
	    !PAGE_ALIGNED(resource_size(mem))) {
		dev_err(dev, "reg: no range of whole pages\n");
		return -EINVAL;
	}
	ivc->base = mem->start;
	ivc->size = resource_size(mem);
	if (of_property_read_string(np, "mica,channel", channel) || !**channel ||
	    strchr(*channel, '/')) {
		dev_err(dev, "mica,channel: missing, empty or with a '/'\n");
		return -EINVAL;
	}
	peers = of_property_count_strings(np, "mica,peers");
	if (peers <= 0) {
		dev_err(dev, "mica,peers: missing or empty\n");
		return -EINVAL;
	}
	if (of_property_count_u32_elems(np, "mica,doorbells") != peers) {
		dev_err(dev, "mica,doorbells: not one per peer (%d)\n", peers);
		return -EINVAL;
	}
	ivc->peer_count = peers;
	ivc->peers = devm_kcalloc(dev, peers, sizeof(*ivc->peers), GFP_KERNEL);
	ivc->doorbells = devm_kcalloc(dev, peers, sizeof(*ivc->doorbells), GFP_KERNEL);
	if (!ivc->peers || !ivc->doorbells)
		return -ENOMEM;
	if (of_property_read_string_array(np, "mica,peers", ivc->peers, peers) != peers ||
	    of_property_read_u32_array(np, "mica,doorbells", ivc->doorbells, peers))
		return -EINVAL;
	ivc->is_read_only = of_property_read_bool(np, "mica,read-only");
	return 0;
}

static int ivc_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct mica_ivc *ivc = devm_kzalloc(dev, sizeof(*ivc), GFP_KERNEL);
	const char *channel;
	int irq, err;

	if (!ivc)
		return -ENOMEM;
	err = ivc_read_node(pdev, ivc, &channel);
	if (err)
		return err;
	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return irq;
	if (!devm_request_mem_region(dev, ivc->base, ivc->size, dev_name(dev)))
		return -EBUSY;
	atomic64_set(&ivc->interrupts, 0);
	init_waitqueue_head(&ivc->waiters);
	ivc->misc.name = devm_kasprintf(dev, GFP_KERNEL, "ivc-%s", channel);
	if (!ivc->misc.name)
		return -ENOMEM;
	err = devm_request_irq(dev, irq, ivc_interrupt, 0, ivc->misc.name, ivc);
	if (err)
		return err;
	ivc->misc.minor = MISC_DYNAMIC_MINOR;
	ivc->misc.fops = &ivc_fops;
	ivc->misc.parent = dev;
	ivc->misc.groups = ivc_groups;
	ivc->misc.mode = 0600;
	err = misc_register(&ivc->misc);
	if (err)
		return err;
	platform_set_drvdata(pdev, ivc);
	dev_info(dev, "/dev/%s: %llu KiB at %pa%s, %u peer(s)\n", ivc->misc.name,
		 (unsigned long long)ivc->size / 1024, &ivc->base,
		 ivc->is_read_only ? ", read-only" : "", ivc->peer_count);
	return 0;
}

static int ivc_remove(struct platform_device *pdev)
{
	struct mica_ivc *ivc = platform_get_drvdata(pdev);

	misc_deregister(&ivc->misc);
	return 0;
}

static const struct of_device_id ivc_of_match[] = {
	{.compatible = "mica,ivc"},
	{},
};
MODULE_DEVICE_TABLE(of, ivc_of_match);

static struct platform_driver ivc_driver = {
	.probe = ivc_probe,
	.remove = ivc_remove,
	.driver.name = "mica_ivc",
	.driver.of_match_table = ivc_of_match,
	/* An unbind would free an end that open files still use. */
	.driver.suppress_bind_attrs = true,
};
module_platform_driver(ivc_driver);

MODULE_DESCRIPTION("Mica's channels between VMs, for user space");
MODULE_LICENSE("GPL");
