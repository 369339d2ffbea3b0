// The demo portal: relying parties of the service's OpenID Connect provider, written with
// openid-client (OpenID Certified), the way the Labour Services portal plugs the provider in. `make
// dev` serves it so that a newcomer sees what the credentials are for; the browser tests drive it.
//
//   ISSUER=http://127.0.0.1:9000 DEMO_PORT=9100 DEMO_CLIENT_ID=rp-... DEMO_CLIENT_SECRET=... node demo-portal.mjs
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import * as oidc from 'openid-client';

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
  return `<!doctype html><html lang="it"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}
a.button{display:inline-block;padding:.6rem 1rem;background:#0b5394;color:#fff;border-radius:4px;text-decoration:none;margin-right:.5rem}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

/** One relying party mounted at `path`: its openid-client configuration and its sessions. */
class Portal {
  constructor({ path, name, clientId, clientSecret }, issuer, base) {
    Object.assign(this, { path, name, clientId, clientSecret, issuer, base });
    this.pending = new Map();
    this.sessions = new Map();
    /** The tokens and claims of the last sign-in, for the tests. */
    this.last = null;
    /** When set, the next ID token is altered by one byte on its way from the token endpoint. */
    this.tamperNext = false;
  }

  async configuration() {
    if (!this.config) {
      const auth = this.clientSecret ? oidc.ClientSecretBasic(this.clientSecret) : oidc.None();
      const config = await oidc.discovery(new URL(this.issuer), this.clientId, this.clientSecret, auth, {
        execute: [oidc.allowInsecureRequests],
      });
      // The ID token's signature is checked against the provider's JWKS too, not only its claims.
      oidc.enableNonRepudiationChecks(config);
      config[oidc.customFetch] = async (url, options) => {
        const response = await fetch(url, options);
        if (!this.tamperNext || !String(url).endsWith('/oidc/token')) return response;
        this.tamperNext = false;
        const body = await response.json();
        const [header, payload, signature] = body.id_token.split('.');
        const flipped = signature.at(-2) === 'A' ? 'B' : 'A';
        body.id_token = `${header}.${payload}.${signature.slice(0, -2)}${flipped}${signature.at(-1)}`;
        return new Response(JSON.stringify(body), { status: response.status, headers: { 'content-type': 'application/json' } });
      };
      this.config = config;
    }
    return this.config;
  }

  url(suffix = '') {
    return `${this.base}${this.path}${suffix}`;
  }

  session(request) {
    const cookie = (request.headers.cookie || '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${this.cookieName()}=`));
    return cookie ? this.sessions.get(cookie.split('=')[1]) : undefined;
  }

  cookieName() {
    return `demo${this.path.replace(/\W/g, '-')}`;
  }

  async handle(request, response, pathname, url) {
    const config = await this.configuration();
    const send = (status, html, headers = {}) => {
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
      response.end(html);
    };
    const redirect = (location, headers = {}) => {
      response.writeHead(303, { location, 'cache-control': 'no-store', ...headers });
      response.end();
    };
    const sub = pathname.slice(this.path.length);
    if (sub === '' || sub === '/') {
      const session = this.session(request);
      if (!session) {
        return send(200, page(this.name, `<p>Questo è un sito di prova che usa l'accesso del servizio. / A demo site using the service's sign-in.</p>
<p><a class="button" id="sign-in" href="${this.url('/login')}">Accedi con credenziali Utente Estero / Sign in with Foreign User credentials</a></p>`));
      }
      return send(200, page(this.name, `<p id="signed-in">Accesso eseguito / Signed in (${escape(session.refreshed ? 'token refreshed' : 'new sign-in')}).</p>
<h2>ID token</h2><pre id="id-token-claims">${escape(JSON.stringify(session.claims, null, 2))}</pre>
<h2>UserInfo</h2><pre id="userinfo">${escape(JSON.stringify(session.userinfo, null, 2))}</pre>
<p><a class="button" id="refresh" href="${this.url('/refresh')}">Rinnova i token / Refresh tokens</a>
<a class="button" id="sign-out" href="${this.url('/logout')}">Esci / Sign out</a></p>`));
    }
    if (sub === '/login') {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      this.pending.set(state, { verifier, nonce });
      const target = oidc.buildAuthorizationUrl(config, {
        redirect_uri: this.url('/callback'), scope: 'openid profile email', state, nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        ui_locales: url.searchParams.get('lang') || 'it',
      });
      return redirect(target.href);
    }
    if (sub === '/callback') {
      const pending = this.pending.get(url.searchParams.get('state') || '');
      this.pending.delete(url.searchParams.get('state') || '');
      try {
        if (!pending) throw new Error('unknown state');
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: pending.verifier, expectedNonce: pending.nonce, expectedState: url.searchParams.get('state'),
        });
        const claims = tokens.claims();
        const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        const id = randomBytes(16).toString('hex');
        this.last = { tokens, claims, userinfo };
        this.sessions.set(id, { tokens, claims, userinfo });
        return redirect(this.url(), { 'set-cookie': `${this.cookieName()}=${id}; Path=/; HttpOnly; SameSite=Lax` });
      } catch (error) {
        this.lastError = error;
        return send(400, page(this.name, `<p id="error">${escape(error.code || 'error')}: ${escape(error.message)}</p>
<p><a href="${this.url()}">${escape(this.name)}</a></p>`));
      }
    }
    const session = this.session(request);
    if (sub === '/refresh' && session) {
      try {
        const tokens = await oidc.refreshTokenGrant(config, session.tokens.refresh_token);
        Object.assign(session, { tokens, claims: tokens.claims() ?? session.claims, refreshed: true });
        this.last = { ...this.last, tokens, claims: session.claims };
        return redirect(this.url());
      } catch (error) {
        return send(400, page(this.name, `<p id="error">${escape(error.code || 'error')}: ${escape(error.message)}</p>`));
      }
    }
    if (sub === '/logout' && session) {
      for (const [id, s] of this.sessions) if (s === session) this.sessions.delete(id);
      const target = oidc.buildEndSessionUrl(config, {
        id_token_hint: session.tokens.id_token, post_logout_redirect_uri: this.url('/logged-out'), state: randomBytes(8).toString('hex'),
      });
      return redirect(target.href, { 'set-cookie': `${this.cookieName()}=; Path=/; Max-Age=0` });
    }
    if (sub === '/logged-out') {
      return send(200, page(this.name, `<p id="signed-out">Sei uscito anche dal servizio di accesso. / You are signed out of the sign-in service too.</p>
<p><a href="${this.url()}">${escape(this.name)}</a></p>`));
    }
    return redirect(this.url());
  }
}

/**
 * Serves `portals` (`{path, name, clientId, clientSecret?}`) on 127.0.0.1:`port` against the
 * provider `issuer`. Answers `{ url, portals, close }`.
 */
export async function startDemoPortal({ issuer, port, portals }) {
  const base = `http://127.0.0.1:${port}`;
  const mounted = portals.map((p) => new Portal(p, issuer, base));
  const server = createServer(async (request, response) => {
    const url = new URL(request.url, base);
    const portal = mounted.find((p) => url.pathname === p.path || url.pathname.startsWith(`${p.path}/`));
    if (!portal) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      return response.end('not found');
    }
    try {
      await portal.handle(request, response, url.pathname, url);
    } catch (error) {
      response.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`the provider could not be used: ${error.message}`);
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: base, portals: Object.fromEntries(mounted.map((p) => [p.path, p])), close: () => new Promise((r) => server.close(r)) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { ISSUER, DEMO_PORT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } = process.env;
  const demo = await startDemoPortal({
    issuer: ISSUER, port: Number(DEMO_PORT),
    portals: [{ path: '/demo-portal', name: 'Portale dimostrativo / Demo portal', clientId: DEMO_CLIENT_ID, clientSecret: DEMO_CLIENT_SECRET }],
  });
  console.log(`demo portal on ${demo.url}/demo-portal`);
}
