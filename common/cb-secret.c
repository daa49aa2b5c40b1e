/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-secret.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

struct _CbSecret {
	guint8 *data;
	gsize size;
	gsize capacity;
	gsize mapped; /* whole pages, as mmap'd */
};

CbSecret *
cb_secret_new(gsize capacity, GError **error)
{
	gsize page = (gsize) sysconf(_SC_PAGESIZE);
	/* one byte more than asked, for cb_secret_as_string()'s terminator */
	gsize mapped = MAX(page, (capacity + 1 + page - 1) / page * page);
	void *mem;
	CbSecret *self;

	/* a private anonymous mapping so that locking and MADV_DONTDUMP cover
	 * exactly these pages and nothing the allocator shares with others */
	mem = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot allocate secure memory: %s"), g_strerror(errno));
		return NULL;
	}
	if (mlock(mem, mapped) != 0) {
		int saved = errno;
		munmap(mem, mapped);
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot lock memory for secrets: %s (raise the memlock limit, "
			      "ulimit -l)"),
			    g_strerror(saved));
		return NULL;
	}
	(void) madvise(mem, mapped, MADV_DONTDUMP);
	(void) madvise(mem, mapped, MADV_WIPEONFORK);

	self = g_new0(CbSecret, 1);
	self->data = mem;
	self->capacity = capacity;
	self->mapped = mapped;
	return self;
}

CbSecret *
cb_secret_new_random(gsize size, GError **error)
{
	g_autoptr(CbSecret) self = cb_secret_new(size, error);
	gsize done = 0;

	if (self == NULL)
		return NULL;
	/* the kernel RNG directly: keys must not depend on a userspace pool */
	while (done < size) {
		ssize_t n = getrandom(self->data + done, size - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
				    _("cannot read the kernel random generator: %s"),
				    g_strerror(errno));
			return NULL;
		}
		done += (gsize) n;
	}
	self->size = size;
	return g_steal_pointer(&self);
}

void
cb_secret_free(CbSecret *self)
{
	if (self == NULL)
		return;
	explicit_bzero(self->data, self->mapped);
	munlock(self->data, self->mapped);
	munmap(self->data, self->mapped);
	g_free(self);
}

const guint8 *
cb_secret_peek(const CbSecret *self)
{
	return self->data;
}

gsize
cb_secret_size(const CbSecret *self)
{
	return self->size;
}

gboolean
cb_secret_append(CbSecret *self, guint8 byte)
{
	if (self->size >= self->capacity)
		return FALSE;
	self->data[self->size++] = byte;
	return TRUE;
}

void
cb_secret_set_size(CbSecret *self, gsize size)
{
	g_return_if_fail(size <= self->capacity);
	if (size < self->size)
		explicit_bzero(self->data + size, self->size - size);
	self->size = size;
}

gboolean
cb_secret_equal(const CbSecret *a, const CbSecret *b)
{
	guint8 diff = 0;

	if (a->size != b->size)
		return FALSE;
	/* constant time: how much of a passphrase matched is nobody's business */
	for (gsize i = 0; i < a->size; i++)
		diff |= a->data[i] ^ b->data[i];
	return diff == 0;
}

const gchar *
cb_secret_as_string(CbSecret *self)
{
	self->data[self->size] = '\0';
	return (const gchar *) self->data;
}
