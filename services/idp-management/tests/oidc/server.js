// A real OpenID Connect provider (oidc-provider) on 127.0.0.1:<port>, for idp-management's configuration-check
// tests. Usage: node server.js <port>. Prints "listening <issuer>" once it accepts connections.
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{ client_id: 'idp-management-test', client_secret: 'not-used', redirect_uris: ['https://example.com/cb'] }],
});
provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
