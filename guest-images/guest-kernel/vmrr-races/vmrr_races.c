// SPDX-License-Identifier: GPL-2.0
/*
 * vmrr-races: a zoo of real kernel races, built into vmrr's guest kernels
 * (guest-images/guest-kernel) so that a recording can catch a kernel bug that
 * shows up only now and then, and its replay can show it again.  Nothing here
 * draws a random number: whether a run crashes depends only on where an
 * interrupt, or another CPU's store, lands in the consumer's instruction
 * stream.
 *
 * Each bug is the same mistake.  A consumer takes the active item of a
 * two-item pool without excluding the code that retires items, works on it,
 * then follows the item's buffer pointer.  Retiring an item returns it to the
 * pool and detaches its buffer (item->buf = NULL).  A consumer that took an
 * item just before it was retired therefore dereferences NULL: an oops in
 * vmrr_bug_<name>_consume() (irq: vmrr_bug_irq_consume).
 *
 * For a debugger: the bad pointer is the field `buf` of struct vmrr_item
 * (the item the consumer holds, its local `it`), and the one function that
 * stores NULL into it is vmrr_retire() (noinline, called by the timer callback
 * vmrr_bug_irq_timer() for irq and rare, by the kthread vmrr_bug_smp_retirer()
 * for smp).  From the oops, a watchpoint on that item's buf
 * (`watch -l it->buf` in vmrr_bug_irq_consume) and reverse-continue stop in
 * vmrr_retire(), in the interrupt that hit the consumer's window.
 *
 *   irq   The retirer is an hrtimer callback (hard interrupt context) and the
 *         consumer runs in process context on the same CPU.  The fix would be
 *         spin_lock_irqsave() around take-and-use.  The timer fires `rounds`
 *         times, and each interrupt lands in the window with a few percent
 *         chance.
 *   rare  The same as irq, with no work in the window: only the boundary
 *         between the two dependent loads is left.
 *   smp   The retirer and the consumer are kthreads on two different CPUs
 *         (it needs two online CPUs).  The retirer sleeps `period` between
 *         retirements.
 *
 * Interface, /proc/vmrr-races (root only):
 *   write "irq", "rare" or "smp"  run that bug; the write returns when the run
 *                                 is over (if the kernel survived it)
 *     + " dry"                    count the retirements that hit a consumer's
 *                                 window instead of crashing (for measuring rates)
 *     + " rounds=N"               N retirements instead of the bug's default
 *     + " pre=N", " window=N",    the consumer's work before and inside its
 *       " period=N"               window (hash steps) and the retirement
 *                                 period (µs), instead of the bug's defaults
 *                                 (for tuning; the workloads use the defaults)
 *   read                          the last run's result line
 */

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>

struct vmrr_buf {
	u64 data[8];
};

struct vmrr_item {
	struct vmrr_buf *buf;	/* NULL while the item is back in the pool */
	u64 id;
};

struct vmrr_race {
	const char *name;
	u64 (*consume)(struct vmrr_race *r, u64 h);
	unsigned int rounds;	/* retirements in a run */
	unsigned int pre;	/* consumer work before taking an item (hash steps) */
	unsigned int window;	/* consumer work while holding it */
	unsigned int period_us;	/* between retirements */

	/* The state of a run. */
	struct vmrr_item items[2];
	struct vmrr_buf buf;
	struct vmrr_item *cur;	/* the active item: shared without a lock */
	unsigned int retired;
	unsigned int run_rounds;
	bool dry;
	unsigned long consumed;
	unsigned long stale;	/* dry runs: items found retired */
	u64 hash;
	struct hrtimer timer;
	struct completion retirer_done, consumer_done;
};

/* Work on nothing shared: n steps of a running string hash. */
static noinline u64 vmrr_spin(u64 h, unsigned int n)
{
	while (n--) {
		h = (h << 5) + h + n;
		barrier();
	}
	return h;
}

/*
 * One consumer step.  The window is from the load of r->cur to the load of
 * it->buf: a retirement in between leaves `it` retired and `b` NULL.
 */
static __always_inline u64 vmrr_consume(struct vmrr_race *r, u64 h, bool work)
{
	struct vmrr_item *it;
	struct vmrr_buf *b;

	h = vmrr_spin(h, r->pre);
	it = READ_ONCE(r->cur);		/* BUG: the retirer is not excluded */
	if (work)
		h = vmrr_spin(h ^ it->id, r->window);
	b = READ_ONCE(it->buf);
	r->consumed++;
	if (unlikely(r->dry) && !b) {
		r->stale++;
		return h;
	}
	return h + b->data[h & 7];	/* NULL + offset once `it` was retired */
}

static noinline u64 vmrr_bug_irq_consume(struct vmrr_race *r, u64 h)
{
	return vmrr_consume(r, h, true);
}

static noinline u64 vmrr_bug_rare_consume(struct vmrr_race *r, u64 h)
{
	return vmrr_consume(r, h, false);
}

static noinline u64 vmrr_bug_smp_consume(struct vmrr_race *r, u64 h)
{
	return vmrr_consume(r, h, true);
}

/*
 * Makes the other item active and returns the old one to the pool: the store
 * of NULL into old->buf is what a racing consumer then dereferences.
 */
static noinline void vmrr_retire(struct vmrr_race *r)
{
	struct vmrr_item *old = r->cur;
	struct vmrr_item *next = old == &r->items[0] ? &r->items[1] : &r->items[0];

	next->id = old->id + 1;
	next->buf = &r->buf;
	smp_store_release(&r->cur, next);
	WRITE_ONCE(old->buf, NULL);
	smp_store_release(&r->retired, r->retired + 1);
}

static enum hrtimer_restart vmrr_bug_irq_timer(struct hrtimer *t)
{
	struct vmrr_race *r = container_of(t, struct vmrr_race, timer);

	vmrr_retire(r);
	if (r->retired >= r->run_rounds)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime((u64)r->period_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* irq and rare: the consumer runs here, the timer interrupts it. */
static void vmrr_run_irq(struct vmrr_race *r)
{
	u64 h = 5381;

	hrtimer_init(&r->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	r->timer.function = vmrr_bug_irq_timer;
	hrtimer_start(&r->timer, ns_to_ktime((u64)r->period_us * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
	while (smp_load_acquire(&r->retired) < r->run_rounds)
		h = r->consume(r, h);
	hrtimer_cancel(&r->timer);
	r->hash = h;
}

static int vmrr_bug_smp_retirer(void *data)
{
	struct vmrr_race *r = data;

	while (r->retired < r->run_rounds) {
		usleep_range(r->period_us, r->period_us);
		vmrr_retire(r);
	}
	complete(&r->retirer_done);
	return 0;
}

static int vmrr_bug_smp_consumer(void *data)
{
	struct vmrr_race *r = data;
	u64 h = 5381;

	while (smp_load_acquire(&r->retired) < r->run_rounds)
		h = r->consume(r, h);
	r->hash = h;
	complete(&r->consumer_done);
	return 0;
}

/* smp: a consumer kthread and a retirer kthread on two CPUs. */
static int vmrr_run_smp(struct vmrr_race *r)
{
	struct task_struct *consumer, *retirer;
	unsigned int a, b;

	a = cpumask_first(cpu_online_mask);
	b = cpumask_next(a, cpu_online_mask);
	if (b >= nr_cpu_ids)
		return -EOPNOTSUPP;
	init_completion(&r->retirer_done);
	init_completion(&r->consumer_done);
	consumer = kthread_create_on_cpu(vmrr_bug_smp_consumer, r, a, "vmrr-consumer/%u");
	if (IS_ERR(consumer))
		return PTR_ERR(consumer);
	retirer = kthread_create_on_cpu(vmrr_bug_smp_retirer, r, b, "vmrr-retirer/%u");
	if (IS_ERR(retirer)) {
		/* Nothing to race with: the consumer ends at once. */
		WRITE_ONCE(r->run_rounds, 0);
		wake_up_process(consumer);
		wait_for_completion(&r->consumer_done);
		return PTR_ERR(retirer);
	}
	wake_up_process(consumer);
	wake_up_process(retirer);
	wait_for_completion(&r->retirer_done);
	wait_for_completion(&r->consumer_done);
	return 0;
}

static struct vmrr_race vmrr_races[] = {
	{ .name = "irq", .consume = vmrr_bug_irq_consume,
	  .rounds = 10, .pre = 400, .window = 30, .period_us = 100 },
	{ .name = "rare", .consume = vmrr_bug_rare_consume,
	  .rounds = 10, .pre = 400, .window = 0, .period_us = 100 },
	{ .name = "smp", .consume = vmrr_bug_smp_consume,
	  .rounds = 10, .pre = 400, .window = 30, .period_us = 100 },
};

static DEFINE_MUTEX(vmrr_races_lock);
static char vmrr_result[160] = "no run yet\n";

/* A run's settings: 0 is the bug's default. */
struct vmrr_run_args {
	bool dry;
	unsigned int rounds, pre, window, period_us;
};

static int vmrr_race_run(struct vmrr_race *r, const struct vmrr_run_args *a)
{
	unsigned int pre = r->pre, window = r->window, period_us = r->period_us;
	int err = 0;

	if (a->pre)
		r->pre = a->pre;
	if (a->window)
		r->window = a->window;
	if (a->period_us)
		r->period_us = a->period_us;

	memset(r->items, 0, sizeof(r->items));
	r->items[0].buf = &r->buf;
	r->cur = &r->items[0];
	r->retired = 0;
	r->run_rounds = a->rounds ? a->rounds : r->rounds;
	r->dry = a->dry;
	r->consumed = 0;
	r->stale = 0;
	if (r->consume == vmrr_bug_smp_consume)
		err = vmrr_run_smp(r);
	else
		vmrr_run_irq(r);
	r->pre = pre;
	r->window = window;
	r->period_us = period_us;
	if (err == -EOPNOTSUPP) {
		scnprintf(vmrr_result, sizeof(vmrr_result),
			  "%s: needs 2 online CPUs, %u online: nothing to race\n",
			  r->name, num_online_cpus());
		return 0;
	}
	if (err)
		return err;
	if (a->dry)
		scnprintf(vmrr_result, sizeof(vmrr_result),
			  "%s dry: %u retirements, %lu items consumed, %lu stale (%lu per 10000 retirements)\n",
			  r->name, r->retired, r->consumed, r->stale,
			  r->retired ? r->stale * 10000 / r->retired : 0);
	else
		scnprintf(vmrr_result, sizeof(vmrr_result),
			  "%s: %u retirements, %lu items consumed, no stale item used\n",
			  r->name, r->retired, r->consumed);
	pr_info("vmrr-races: %s", vmrr_result);
	return 0;
}

static ssize_t vmrr_races_write(struct file *file, const char __user *ubuf, size_t len,
				loff_t *off)
{
	char buf[96], *s, *tok;
	struct vmrr_race *r = NULL;
	struct vmrr_run_args a = {};
	unsigned int *knob, v;
	size_t i;
	int err;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	s = strim(buf);
	tok = strsep(&s, " \t");
	for (i = 0; i < ARRAY_SIZE(vmrr_races); i++)
		if (!strcmp(tok, vmrr_races[i].name))
			r = &vmrr_races[i];
	if (!r)
		return -EINVAL;
	while ((tok = strsep(&s, " \t"))) {
		if (!*tok)
			continue;
		if (!strcmp(tok, "dry")) {
			a.dry = true;
			continue;
		}
		if (!strncmp(tok, "rounds=", 7))
			knob = &a.rounds, tok += 7;
		else if (!strncmp(tok, "pre=", 4))
			knob = &a.pre, tok += 4;
		else if (!strncmp(tok, "window=", 7))
			knob = &a.window, tok += 7;
		else if (!strncmp(tok, "period=", 7))
			knob = &a.period_us, tok += 7;
		else
			return -EINVAL;
		if (kstrtouint(tok, 10, &v) || v == 0 || v > 1000000)
			return -EINVAL;
		*knob = v;
	}
	if (mutex_lock_interruptible(&vmrr_races_lock))
		return -EINTR;
	err = vmrr_race_run(r, &a);
	mutex_unlock(&vmrr_races_lock);
	return err ? err : len;
}

static ssize_t vmrr_races_read(struct file *file, char __user *ubuf, size_t len, loff_t *off)
{
	ssize_t n;

	mutex_lock(&vmrr_races_lock);
	n = simple_read_from_buffer(ubuf, len, off, vmrr_result, strlen(vmrr_result));
	mutex_unlock(&vmrr_races_lock);
	return n;
}

static const struct proc_ops vmrr_races_ops = {
	.proc_read = vmrr_races_read,
	.proc_write = vmrr_races_write,
	.proc_lseek = default_llseek,
};

static int __init vmrr_races_init(void)
{
	if (!proc_create("vmrr-races", 0600, NULL, &vmrr_races_ops))
		return -ENOMEM;
	return 0;
}
device_initcall(vmrr_races_init);
