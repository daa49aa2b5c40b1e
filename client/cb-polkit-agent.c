/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-polkit-agent.h"

#define POLKIT_AGENT_I_KNOW_API_IS_SUBJECT_TO_CHANGE
#include <polkitagent/polkitagent.h>
#include <unistd.h>

struct _CbPolkitAgent {
	PolkitAgentListener *listener;
	gpointer handle;
};

CbPolkitAgent *
cb_polkit_agent_register(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PolkitSubject) subject = NULL;
	g_autoptr(PolkitAgentListener) listener = NULL;
	CbPolkitAgent *self;
	gpointer handle;

	/* opens the controlling terminal; fails without one */
	listener = polkit_agent_text_listener_new(NULL, &error);
	if (listener == NULL) {
		g_debug("no polkit text agent: %s", error->message);
		return NULL;
	}
	/* for this process only, like pkttyagent --process: a desktop's
	 * session agent stays in charge of everything else */
	subject = polkit_unix_process_new_for_owner(getpid(), 0, getuid());
	/* its own thread: the main thread may be blocked in a method call
	 * while polkit asks for the password */
	handle = polkit_agent_listener_register(listener, POLKIT_AGENT_REGISTER_FLAGS_RUN_IN_THREAD,
						subject, NULL, NULL, &error);
	if (handle == NULL) {
		g_debug("polkit did not take the text agent: %s", error->message);
		return NULL;
	}
	self = g_new0(CbPolkitAgent, 1);
	self->listener = g_steal_pointer(&listener);
	self->handle = handle;
	return self;
}

void
cb_polkit_agent_unregister(CbPolkitAgent *self)
{
	if (self == NULL)
		return;
	polkit_agent_listener_unregister(self->handle);
	g_object_unref(self->listener);
	g_free(self);
}
