/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* a polkit text agent for this process, so that "authentication is
 * required" is answered on the terminal the command was typed in */
typedef struct _CbPolkitAgent CbPolkitAgent;

/* NULL, with a debug message only, when there is no terminal or polkit
 * will not take the agent */
CbPolkitAgent *
cb_polkit_agent_register(void);
void
cb_polkit_agent_unregister(CbPolkitAgent *self);

G_END_DECLS
