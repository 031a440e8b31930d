// A real OpenID Connect provider (node's certified oidc-provider) for Portico's tests.
//
//   node provider.js <port> <config.json>
//
// config.json: {"client_id", "client_secret", "redirect_uri", "accounts_file"}.
// The accounts file maps a login to its claims and is read at each sign-in,
// so a test changes someone's groups by rewriting it. The provider's own
// development pages ask for the login (any password) and for consent.
import fs from "node:fs";

import Provider from "oidc-provider";

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configPath, "utf8"));

function accountClaims(id) {
  const accounts = JSON.parse(fs.readFileSync(config.accounts_file, "utf8"));
  return accounts[id];
}

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: [config.redirect_uri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
    },
  ],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["given_name", "family_name"],
    groups: ["groups"],
  },
  // Put the scopes' claims in the ID token itself, where Portico reads them.
  conformIdTokenClaims: false,
  cookies: { keys: ["portico-test-provider-cookie-key"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const claims = accountClaims(id);
    if (!claims) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...accountClaims(id) };
      },
    };
  },
});

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`ready on ${port}`);
});
