/* imstb WWS page: the web login (POST /login, JSON) and a WebSocket to
 * the WSF with the "sip" subprotocol (RFC 7118). A later issue makes this
 * the teaching demo (a SIP stack in the page). */
'use strict';

const $ = (id) => document.getElementById(id);
const state = { token: null, impu: null, impi: null, ws: null };

function log(line) {
	$('log').textContent += new Date().toISOString() + ' ' + line + '\n';
}

fetch('/config.json')
	.then((r) => r.json())
	.then((c) => { if (c.wsf_url) $('wsf').value = c.wsf_url; })
	.catch(() => {});

$('login').addEventListener('submit', async (ev) => {
	ev.preventDefault();
	const body = { id: $('id').value, password: $('password').value };
	try {
		const r = await fetch('/login', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify(body),
		});
		const j = await r.json();
		$('result').textContent = r.status + ' ' +
			JSON.stringify(j, null, 2);
		state.token = j.token || null;
		state.impu = j.impu || null;
		state.impi = j.impi || null;
		if (j.result === 'ims_auth_required')
			log('IMS identity: the IMS core authenticates it ' +
			    '(REGISTER, 401, REGISTER with Digest)');
	} catch (e) {
		$('result').textContent = 'login failed: ' + e;
	}
});

$('connect').addEventListener('submit', (ev) => {
	ev.preventDefault();
	if (state.ws)
		state.ws.close(1000);
	const ws = new WebSocket($('wsf').value, 'sip');
	state.ws = ws;
	ws.onopen = () => log('WebSocket open, protocol ' + ws.protocol);
	ws.onmessage = (m) => log('<- ' + String(m.data).split('\r\n')[0]);
	ws.onerror = () => log('WebSocket error (certificate accepted? ' +
			       'open the WSF URL over https once)');
	ws.onclose = (c) => log('WebSocket closed ' + c.code + ' ' + c.reason);
});
