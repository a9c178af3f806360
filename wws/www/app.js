/*
 * imstb WebRTC client: the JavaScript of TR 23.701's figures, served by
 * the WWS. It logs in at the WWS (POST /login), opens a WebSocket with the
 * "sip" subprotocol to the WSF (RFC 7118) and registers with its own small
 * SIP code:
 *  - Web ID (Figure 6.X.2.1.2.1-1) and enterprise user (6.X.2.1.3.3-1):
 *    the token of the login, as `Authorization: Bearer` (RFC 8898);
 *  - IMS credentials (6.X.2.1.2.2-1): the IMS initial Authorization
 *    (TS 24.229 5.1.1.2.2: empty nonce and response), then the S-CSCF's
 *    401 answered with Digest (RFC 8760: the first algorithm we know;
 *    MD5 written below, SHA-256 from SubtleCrypto), or, when the WSF
 *    answers the 401 itself (NOTE 3), the credential handed to it.
 * No framework and no bundle: every line that goes on the wire is here to
 * be read. Messages are shown with textContent only.
 */
'use strict';

/* ---- MD5 (RFC 1321): SubtleCrypto has no MD5 ------------------------- */

const MD5_S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
/* K[i] = floor(2^32 * abs(sin(i + 1))) (RFC 1321 3.4) */
const MD5_K = Array.from({ length: 64 },
	(_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0);

function md5(bytes) {
	const n = bytes.length, words = (((n + 8) >>> 6) + 1) * 16;
	const m = new Uint32Array(words);
	let a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;

	/* 3.1-3.2: pad with 0x80, zeros, then the bit length (LE) */
	for (let i = 0; i < n; i++)
		m[i >> 2] |= bytes[i] << ((i % 4) * 8);
	m[n >> 2] |= 0x80 << ((n % 4) * 8);
	m[words - 2] = (n * 8) >>> 0;
	m[words - 1] = Math.floor(n / 0x20000000);
	for (let o = 0; o < words; o += 16) {
		let a = a0, b = b0, c = c0, d = d0;
		for (let i = 0; i < 64; i++) {
			let f, g;
			if (i < 16) {
				f = (b & c) | (~b & d); g = i;
			} else if (i < 32) {
				f = (d & b) | (~d & c); g = (5 * i + 1) % 16;
			} else if (i < 48) {
				f = b ^ c ^ d; g = (3 * i + 5) % 16;
			} else {
				f = c ^ (b | ~d); g = (7 * i) % 16;
			}
			const x = (a + f + MD5_K[i] + m[o + g]) | 0;
			const s = MD5_S[(i >> 4) * 4 + (i % 4)];
			a = d; d = c; c = b;
			b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
		}
		a0 = (a0 + a) | 0; b0 = (b0 + b) | 0;
		c0 = (c0 + c) | 0; d0 = (d0 + d) | 0;
	}
	let hex = '';
	for (const w of [a0, b0, c0, d0])
		for (let k = 0; k < 4; k++)
			hex += ((w >>> (8 * k)) & 255).toString(16)
				.padStart(2, '0');
	return hex;
}

const utf8 = (s) => new TextEncoder().encode(s);
const md5hex = (s) => md5(utf8(s));

async function sha256hex(s) {
	const h = new Uint8Array(await crypto.subtle.digest('SHA-256',
		utf8(s)));
	return Array.from(h, (x) => x.toString(16).padStart(2, '0')).join('');
}

function randHex(n) {
	const b = new Uint8Array(n);
	crypto.getRandomValues(b);
	return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/* ---- SIP text (RFC 3261 7) ------------------------------------------- */

const COMPACT = { i: 'call-id', m: 'contact', v: 'via', f: 'from', t: 'to',
	l: 'content-length', k: 'supported', c: 'content-type', e:
	'content-encoding', s: 'subject', o: 'event', u: 'allow-events' };
/* Headers whose comma-separated values are separate entries (7.3.1). */
const LISTS = new Set(['via', 'contact', 'route', 'record-route', 'path',
	'service-route', 'p-associated-uri', 'supported', 'require',
	'allow']);

/* Splits at commas outside quotes and <...>. */
function splitList(v) {
	const out = [];
	let cur = '', q = false, lt = false;
	for (let i = 0; i < v.length; i++) {
		const ch = v[i];
		if (q && ch === '\\') {
			cur += ch + (v[++i] || '');
			continue;
		}
		if (ch === '"')
			q = !q;
		else if (!q && ch === '<')
			lt = true;
		else if (!q && ch === '>')
			lt = false;
		if (ch === ',' && !q && !lt) {
			out.push(cur.trim());
			cur = '';
		} else {
			cur += ch;
		}
	}
	if (cur.trim())
		out.push(cur.trim());
	return out;
}

function sipParse(text) {
	const end = text.indexOf('\r\n\r\n');
	const head = (end < 0 ? text : text.slice(0, end))
		.replace(/\r\n[ \t]+/g, ' ');
	const lines = head.split('\r\n'), first = lines.shift();
	const msg = { first, hdrs: {} };
	const st = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(first);
	if (st) {
		msg.status = Number(st[1]);
		msg.reason = st[2];
	} else {
		msg.method = first.split(' ')[0];
	}
	for (const l of lines) {
		const c = l.indexOf(':');
		if (c <= 0)
			continue;
		let name = l.slice(0, c).trim().toLowerCase();
		const value = l.slice(c + 1).trim();
		name = COMPACT[name] || name;
		const vals = LISTS.has(name) ? splitList(value) : [value];
		msg.hdrs[name] = (msg.hdrs[name] || []).concat(vals);
	}
	return msg;
}

const hdr = (m, name) => (m.hdrs[name] || [])[0];

/* name-addr or addr-spec with its parameters: { uri, params } */
function addrParse(v) {
	let uri, rest;
	const lt = v.indexOf('<');
	if (lt >= 0) {
		const gt = v.indexOf('>', lt);
		uri = v.slice(lt + 1, gt);
		rest = v.slice(gt + 1);
	} else {
		const semi = v.indexOf(';');
		uri = semi < 0 ? v : v.slice(0, semi);
		rest = semi < 0 ? '' : v.slice(semi);
	}
	const params = {};
	for (const p of rest.split(';').slice(1)) {
		const eq = p.indexOf('=');
		params[(eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase()] =
			eq < 0 ? '' : p.slice(eq + 1).trim();
	}
	return { uri: uri.trim(), params };
}

/* auth-param list of a challenge (RFC 7616 3.3): { scheme, k: v } */
function chalParse(v) {
	const sp = v.indexOf(' ');
	const c = { scheme: (sp < 0 ? v : v.slice(0, sp)).toLowerCase() };
	const re = /([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)/g;
	let m;
	while ((m = re.exec(v.slice(sp + 1))) !== null)
		c[m[1].toLowerCase()] = m[2][0] === '"' ?
			m[2].slice(1, -1).replace(/\\(.)/g, '$1') : m[2];
	return c;
}

const quote = (s) => '"' + String(s).replace(/(["\\])/g, '\\$1') + '"';

/* ---- the UA ------------------------------------------------------------ */

const T1 = 500; /* RFC 3261 17.1.1.1; Timer F = 64 * T1 */

const ua = {
	conf: { wsf_url: 'wss://127.0.0.1:7443', ims_domain: 'ims.example.com' },
	ws: null,
	mode: null,    /* 'token' | 'digest' */
	login: null,   /* { id, password }: a refresh logs in again */
	token: null, impu: null, impi: null, password: null,
	terminate: false,
	callId: null, fromTag: null, cseq: 0,
	instance: 'urn:uuid:' + crypto.randomUUID(),
	viaHost: randHex(6) + '.invalid', /* RFC 7118 5.2 */
	user: randHex(4),
	chal: null, nc: 0,
	tx: null,
	registered: false, expires: 0, timer: 0,
};

const contactUri = () => 'sip:' + ua.user + '@' + ua.viaHost +
	';transport=ws';

function wsOpen() {
	if (ua.ws && ua.ws.readyState === WebSocket.OPEN)
		return Promise.resolve();
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(ua.conf.wsf_url, 'sip');
		let opened = false;
		ua.ws = ws;
		note('WebSocket to ' + ua.conf.wsf_url + ' (protocol sip)');
		ws.onopen = () => {
			opened = true;
			if (ws.protocol !== 'sip') {
				ws.close(1000, 'no sip subprotocol');
				reject(new Error('the WSF did not accept ' +
					'the sip subprotocol'));
				return;
			}
			note('WebSocket open');
			resolve();
		};
		ws.onmessage = (ev) => onMessage(String(ev.data));
		ws.onerror = () => {
			if (!opened)
				reject(new Error('cannot open ' +
					ua.conf.wsf_url + ': is its ' +
					'certificate accepted? Open ' +
					certUrl() + ' once, accept it, ' +
					'and try again'));
		};
		ws.onclose = (ev) => {
			if (ua.ws === ws)
				ua.ws = null;
			note('WebSocket closed (' + ev.code + ')');
			if (ua.registered)
				setState(false, 'The WebSocket closed: ' +
					'the registration lost its flow ' +
					'(RFC 5626)');
			if (ua.tx)
				txEnd(new Error('the WebSocket closed'));
		};
	});
}

function certUrl() {
	return ua.conf.wsf_url.replace(/^wss:/, 'https:').replace(/^ws:/,
		'http:');
}

function sendText(text) {
	ua.ws.send(text);
	logMsg('out', text.slice(0, text.indexOf('\r\n')), text);
}

async function authHeader(tx) {
	const d = ua.conf.ims_domain, uri = 'sip:' + d;
	if (ua.mode === 'token')
		return 'Bearer ' + ua.token;
	if (!ua.chal) /* TS 24.229 5.1.1.2.2 */
		return 'Digest username=' + quote(ua.impi) + ', realm=' +
			quote(d) + ', uri=' + quote(uri) +
			', nonce="", response=""';
	const c = ua.chal, alg = (c.algorithm || 'MD5').toUpperCase();
	const H = alg === 'SHA-256' ? sha256hex : (s) => md5hex(s);
	const qop = (c.qop || '').split(',').map((s) => s.trim())
		.includes('auth') ? 'auth' : '';
	const nc = (++ua.nc).toString(16).padStart(8, '0');
	const cnonce = randHex(8);
	const ha1 = await H(ua.impi + ':' + c.realm + ':' + ua.password);
	const ha2 = await H(tx.method + ':' + uri);
	const resp = await H(qop ? [ha1, c.nonce, nc, cnonce, qop, ha2]
		.join(':') : [ha1, c.nonce, ha2].join(':'));
	let v = 'Digest username=' + quote(ua.impi) + ', realm=' +
		quote(c.realm) + ', nonce=' + quote(c.nonce) + ', uri=' +
		quote(uri) + ', response=' + quote(resp) + ', algorithm=' +
		alg;
	if (qop)
		v += ', qop=' + qop + ', nc=' + nc + ', cnonce=' + quote(cnonce);
	if (c.opaque !== undefined)
		v += ', opaque=' + quote(c.opaque);
	return v;
}

/* One REGISTER of tx (a new branch and CSeq each time, RFC 3261 10.2). */
async function txSend(tx) {
	const dereg = tx.expires === 0;
	const auth = await authHeader(tx);
	tx.branch = 'z9hG4bK' + randHex(8);
	tx.cseq = ++ua.cseq;
	const h = [
		'REGISTER sip:' + ua.conf.ims_domain + ' SIP/2.0',
		'Via: SIP/2.0/WSS ' + ua.viaHost + ';branch=' + tx.branch +
			';rport',
		'Max-Forwards: 70',
		'From: <' + ua.impu + '>;tag=' + ua.fromTag,
		'To: <' + ua.impu + '>',
		'Call-ID: ' + ua.callId,
		'CSeq: ' + tx.cseq + ' REGISTER',
		/* RFC 5626 4.2: a flow of this instance */
		'Contact: <' + contactUri() + '>;expires=' + tx.expires +
			';+sip.instance="<' + ua.instance + '>";reg-id=1',
	];
	if (dereg)
		h.push('Expires: 0');
	h.push('Authorization: ' + auth);
	if (ua.terminate && ua.mode === 'digest')
		h.push('X-IMS-Credential: impi=' + quote(ua.impi) +
			', password=' + quote(ua.password));
	h.push('Supported: path, outbound', 'User-Agent: imstb-webrtc-page',
		'Content-Length: 0');
	clearTimeout(tx.timer);
	tx.timer = setTimeout(() => txEnd(new Error('no answer in ' +
		64 * T1 / 1000 + ' s (Timer F)')), 64 * T1);
	if (!ua.ws || ua.ws.readyState !== WebSocket.OPEN)
		throw new Error('the WebSocket is not open');
	sendText(h.join('\r\n') + '\r\n\r\n');
}

function txEnd(err, msg) {
	const tx = ua.tx;
	if (!tx)
		return;
	ua.tx = null;
	clearTimeout(tx.timer);
	if (err)
		tx.reject(err);
	else
		tx.resolve(msg);
}

function register(expires) {
	return new Promise((resolve, reject) => {
		if (ua.tx) {
			reject(new Error('a REGISTER is under way'));
			return;
		}
		ua.tx = { method: 'REGISTER', expires, resolve, reject,
			answered: false, brief: false };
		txSend(ua.tx).catch((e) => txEnd(e));
	});
}

/* The first challenge with an algorithm we know (RFC 8760 2.4). */
function pickChallenge(msg) {
	for (const v of msg.hdrs['www-authenticate'] || []) {
		const c = chalParse(v);
		const alg = (c.algorithm || 'MD5').toUpperCase();
		if (c.scheme === 'digest' && (alg === 'MD5' || alg === 'SHA-256'))
			return c;
	}
	return null;
}

function onResponse(msg) {
	const tx = ua.tx;
	const via = addrParse(hdr(msg, 'via') || '');
	if (!tx || via.params.branch !== tx.branch)
		return; /* a stray answer */
	if (msg.status < 200)
		return;
	const again = () => txSend(tx).catch((e) => txEnd(e));
	if ((msg.status === 401 || msg.status === 407) &&
	    ua.mode === 'digest') {
		const c = pickChallenge(msg);
		const stale = c && /^true$/i.test(c.stale || '');
		if (c && (!tx.answered || stale)) {
			tx.answered = true;
			ua.chal = c;
			ua.nc = 0;
			note('401: answering the challenge with ' +
				(c.algorithm || 'MD5') + ' Digest');
			again();
			return;
		}
	}
	if (msg.status === 423 && !tx.brief && hdr(msg, 'min-expires')) {
		tx.brief = true; /* RFC 3261 10.2.8 */
		tx.expires = Number(hdr(msg, 'min-expires'));
		again();
		return;
	}
	if (msg.status >= 300) {
		txEnd(new Error(msg.status + ' ' + msg.reason));
		return;
	}
	txEnd(null, msg);
}

/* A request from the WSF's side (OPTIONS keep-alive, NOTIFY...). */
function onRequest(msg) {
	const code = msg.method === 'OPTIONS' || msg.method === 'NOTIFY' ?
		'200 OK' : '405 Method Not Allowed';
	const h = ['SIP/2.0 ' + code];
	for (const v of msg.hdrs.via || [])
		h.push('Via: ' + v);
	h.push('From: ' + hdr(msg, 'from'));
	const to = hdr(msg, 'to') || '';
	h.push('To: ' + to + (/;\s*tag=/i.test(to) ? '' : ';tag=' +
		randHex(4)));
	h.push('Call-ID: ' + hdr(msg, 'call-id'), 'CSeq: ' +
		hdr(msg, 'cseq'));
	if (code[0] === '4')
		h.push('Allow: OPTIONS, NOTIFY');
	h.push('Content-Length: 0');
	sendText(h.join('\r\n') + '\r\n\r\n');
}

function onMessage(text) {
	if (!text.trim())
		return; /* a CRLF keep-alive (RFC 5626 4.4.1) */
	const msg = sipParse(text);
	logMsg('in', msg.first, text);
	if (msg.status)
		onResponse(msg);
	else if (msg.method && msg.method !== 'ACK')
		onRequest(msg);
}

/* ---- the web login (steps 2-3) ------------------------------------------ */

async function webLogin(id, password) {
	const body = JSON.stringify({ id, password });
	logMsg('out', 'POST /login', 'POST /login\n\n' +
		JSON.stringify({ id, password: '********' }, null, 2));
	const r = await fetch('/login', { method: 'POST', body,
		headers: { 'Content-Type': 'application/json' } });
	let j = {};
	try {
		j = await r.json();
	} catch (e) {
		j = {};
	}
	const what = j.result || j.error || '';
	logMsg('in', r.status + ' ' + r.statusText + (what ? ' (' + what +
		')' : ''), r.status + ' ' + r.statusText + '\n\n' +
		JSON.stringify(j, null, 2));
	if (!r.ok)
		throw new Error('login refused: ' + (j.error_description ||
			j.error || r.status));
	return j;
}

/* The claims of a JWT, decoded only (RFC 7519 7.2 is the WSF's job). */
function claims(token) {
	try {
		const p = token.split('.')[1].replace(/-/g, '+')
			.replace(/_/g, '/');
		return JSON.parse(new TextDecoder().decode(Uint8Array.from(
			atob(p + '==='.slice((p.length + 3) % 4)),
			(ch) => ch.charCodeAt(0))));
	} catch (e) {
		return {};
	}
}

async function takeLogin(j, id, password) {
	const impu = j.impu || (/^(sip|tel):/i.test(id) ? id : null);
	if (!impu)
		throw new Error('the WWS gave no IMPU');
	if (impu !== ua.impu) { /* a new registration: new dialog ids */
		ua.callId = randHex(12) + '@' + ua.viaHost;
		ua.fromTag = randHex(6);
		ua.cseq = 0;
	}
	ua.impu = impu;
	ua.impi = j.impi || null;
	ua.login = { id, password };
	if (j.result === 'ok' && j.token) {
		ua.mode = 'token';
		ua.token = j.token;
		ua.password = null;
		const c = claims(j.token);
		$('f-token').textContent = 'iss ' + c.iss + ', sub ' + c.sub +
			', aud ' + c.aud + ', exp ' +
			new Date(c.exp * 1000).toLocaleTimeString() +
			(c.impu ? ', impu ' + c.impu : '');
	} else if (j.result === 'ims_auth_required') {
		if (!ua.impi)
			throw new Error('no IMPI for ' + impu + ': log in ' +
				'with the IMPI (user@' + ua.conf.ims_domain +
				')');
		ua.mode = 'digest';
		ua.token = null;
		ua.password = password;
		ua.chal = null;
		ua.terminate = $('terminate').checked;
		$('f-token').textContent = 'none: the IMS core authenticates' +
			(ua.terminate ? ' (the WSF answers the 401)' : '');
	} else {
		throw new Error('unexpected login answer: ' + (j.result ||
			'?'));
	}
	$('f-impu').textContent = ua.impu;
}

/* A token close to its end is renewed by logging in again. */
async function freshToken(force) {
	if (ua.mode !== 'token')
		return;
	const exp = claims(ua.token).exp || 0;
	if (!force && exp * 1000 - Date.now() > 30000)
		return;
	const j = await webLogin(ua.login.id, ua.login.password);
	await takeLogin(j, ua.login.id, ua.login.password);
}

/* ---- the page ------------------------------------------------------------ */

const $ = (id) => document.getElementById(id);

function logItem(cls) {
	const li = document.createElement('li');
	li.className = cls;
	$('log').appendChild(li);
	li.scrollIntoView({ block: 'nearest' });
	return li;
}

function logMsg(dir, summary, full) {
	const li = logItem(dir), d = document.createElement('details');
	const s = document.createElement('summary');
	const pre = document.createElement('pre');
	s.textContent = summary;
	/* the password handed to the WSF is not shown again */
	pre.textContent = full.replace(
		/(X-IMS-Credential:.*password=)"(?:[^"\\]|\\.)*"/i,
		'$1"********"');
	d.append(s, pre);
	li.appendChild(d);
}

function note(text) {
	logItem('note').textContent = text;
}

function setState(registered, text, cls) {
	ua.registered = registered;
	$('outcome').textContent = text;
	$('outcome').className = cls || (registered ? 'ok' : 'bad');
	$('refresh').disabled = !registered;
	$('dereg').disabled = !registered;
	if (!registered) {
		clearTimeout(ua.timer);
		$('f-exp').textContent = '-';
	}
}

function busy(on, text) {
	$('go').disabled = on;
	if (on) {
		$('refresh').disabled = true;
		$('dereg').disabled = true;
		setState(ua.registered, text, 'busy');
	}
}

function showList(id, vals) {
	const dd = $(id);
	dd.textContent = '';
	if (!vals.length) {
		dd.textContent = '-';
		return;
	}
	const ul = document.createElement('ul');
	for (const v of vals) {
		const li = document.createElement('li');
		li.textContent = v;
		ul.appendChild(li);
	}
	dd.appendChild(ul);
}

/* A 2xx to a REGISTER: what the registrar granted (RFC 3261 10.2.4). */
function registered(msg, asked) {
	let exp = Number(hdr(msg, 'expires') || asked);
	for (const c of msg.hdrs.contact || []) {
		const a = addrParse(c);
		if (a.uri === contactUri() && a.params.expires !== undefined)
			exp = Number(a.params.expires);
	}
	showList('f-pau', (msg.hdrs['p-associated-uri'] || [])
		.map((v) => addrParse(v).uri));
	showList('f-route', (msg.hdrs['service-route'] || [])
		.map((v) => addrParse(v).uri));
	ua.expires = exp;
	$('f-exp').textContent = exp + ' s (refresh at ' +
		new Date(Date.now() + refreshIn(exp) * 1000)
			.toLocaleTimeString() + ')';
	setState(true, 'Registered: ' + ua.impu);
	clearTimeout(ua.timer);
	ua.timer = setTimeout(() => refresh(), refreshIn(exp) * 1000);
}

/* TS 24.229 5.1.1.4: 600 s before expiry when above 1200 s, else half. */
const refreshIn = (e) => (e > 1200 ? e - 600 : e / 2);

function fail(e, what) {
	setState(false, what + ' failed: ' + e.message);
	note(what + ' failed: ' + e.message);
	$('go').disabled = false;
}

async function loginAndRegister() {
	const id = $('id').value.trim(), password = $('password').value;
	const expires = Number($('expires').value || 600);
	busy(true, 'Logging in...');
	try {
		const j = await webLogin(id, password);
		await takeLogin(j, id, password);
		busy(true, 'Registering ' + ua.impu + '...');
		await wsOpen();
		registered(await register(expires), expires);
		$('go').disabled = false;
	} catch (e) {
		fail(e, 'Registration');
	}
}

async function refresh() {
	const expires = ua.expires || Number($('expires').value || 600);
	busy(true, 'Re-registering...');
	try {
		await freshToken(true); /* a fresh login, a fresh token */
		await wsOpen();
		registered(await register(expires), expires);
		$('go').disabled = false;
	} catch (e) {
		fail(e, 'Re-registration');
	}
}

async function deregister() {
	busy(true, 'De-registering...');
	try {
		await freshToken(false);
		await wsOpen();
		await register(0);
		setState(false, 'De-registered: ' + ua.impu, 'done');
		showList('f-pau', []);
		showList('f-route', []);
		$('go').disabled = false;
	} catch (e) {
		fail(e, 'De-registration');
	}
}

/* ---- the three kinds of user --------------------------------------------- */

const KINDS = {
	web: { label: 'Web ID', id: 'alice@web.example.com',
		hint: 'demo: alice@web.example.com / alice-web' },
	ims: { label: 'IMS identity (IMPU or IMPI)',
		id: 'sip:alice@ims.example.com',
		hint: 'demo: sip:alice@ims.example.com / alice-pass' },
	ent: { label: 'Web ID of the enterprise', id:
		'carol@enterprise.example.org',
		hint: 'demo: carol@enterprise.example.org / carol-web' },
};
let kind = 'web', enterprise = false;

function kindSet(k) {
	const prev = KINDS[kind], next = KINDS[k];
	const away = k === 'ent' && !enterprise;
	kind = k;
	$('id-label').textContent = next.label;
	if (!$('id').value || $('id').value === prev.id)
		$('id').value = next.id;
	$('demo-hint').textContent = next.hint;
	$('terminate-row').hidden = k !== 'ims';
	$('creds').hidden = away;
	$('ent-go').hidden = !away;
	$('go').textContent = away ? 'Go to the enterprise WWS' :
		'Log in and register';
}

function enterpriseUrl() {
	const q = new URLSearchParams(location.search).get('enterprise');
	if (q && /^https:\/\/[^/?#]+\/?$/.test(q))
		return q;
	return 'https://' + location.hostname + ':9443/';
}

async function setup() {
	try {
		const c = await (await fetch('/config.json')).json();
		Object.assign(ua.conf, c);
	} catch (e) {
		note('no /config.json: the WSF is ' + ua.conf.wsf_url);
	}
	$('ent-link').href = enterpriseUrl();
	$('ent-link').textContent = 'open the enterprise WWS: ' +
		enterpriseUrl();
	try {
		const r = await fetch('/range.json');
		if (r.ok) { /* an enterprise WWS (TR 23.701 6.X.2.1.3) */
			const b = await r.json();
			enterprise = true;
			$('kinds').hidden = true;
			$('where').textContent = 'Enterprise WWS of ' +
				ua.conf.domain + ': its users take IMPUs from ' +
				'the block ' + b.wildcard + ' (' + b.state +
				' with the WSF).';
			kindSet('ent');
			return;
		}
	} catch (e) {
		/* an operator WWS */
	}
	$('where').textContent = 'Operator WWS of ' + ua.conf.domain +
		': log in, then this page registers over SIP over ' +
		'WebSocket (RFC 7118) with the WSF at ' + ua.conf.wsf_url + '.';
	kindSet('web');
}

$('login').addEventListener('submit', (ev) => {
	ev.preventDefault();
	if (kind === 'ent' && !enterprise)
		location.href = enterpriseUrl();
	else
		loginAndRegister();
});
for (const r of document.querySelectorAll('input[name=kind]'))
	r.addEventListener('change', () => kindSet(r.value));
$('refresh').addEventListener('click', () => refresh());
$('dereg').addEventListener('click', () => deregister());
window.addEventListener('pagehide', () => {
	if (ua.ws)
		ua.ws.close(1000, 'page closed');
});
/* For tests/browser: the RFC 1321 A.5 vectors run against this MD5. */
window.imstb = { md5: md5hex, ua };
setup();
