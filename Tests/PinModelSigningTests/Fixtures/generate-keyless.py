#!/usr/bin/env python3
"""Makes the keyless (Sigstore: Fulcio + Rekor) fixtures under keyless/, offline.

An independent producer for modelpin's keyless verifier: Python's `cryptography` plays Fulcio
(a root CA, an intermediate, short-lived code-signing leaves with an e-mail SAN and the OIDC
issuer extension 1.3.6.1.4.1.57264.1.8) and Rekor (a P-256 log key that signs each entry's SET
over the RFC 8785 JSON of {body, integratedTime, logID, logIndex}, and a checkpoint over an
RFC 6962 tree holding the entry). The Merkle tree and note format are written here from the
specs, not from modelpin's code. Every key here signs nothing but these fixtures.

The statement is the one signatures/key-p256.sig carries (made by the real model_signing for
the fixture model); only the signer changes. Run by generate.sh, or alone:
    python3 Tests/PinModelSigningTests/Fixtures/generate-keyless.py
"""
import base64, datetime, hashlib, json, pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

here = pathlib.Path(__file__).resolve().parent
out = here / "keyless"
out.mkdir(exist_ok=True)
for old in out.iterdir():
    if old.is_file():
        old.unlink()

UTC = datetime.timezone.utc
SIGNED_AT = datetime.datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)  # the leaf's notBefore
ISSUER = "https://issuer.example.test"
SAN = "publisher@example.com"
ISSUER_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")

b64 = lambda data: base64.b64encode(data).decode()
der = lambda cert: cert.public_bytes(serialization.Encoding.DER)
pem = lambda cert: cert.public_bytes(serialization.Encoding.PEM)
spki = lambda key: key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
rfc3339 = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
canonical = lambda value: json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "modelpin test"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ca(cn, key, issuer_name=None, issuer_key=None, path_length=None, start=datetime.datetime(2025, 1, 1, tzinfo=UTC)):
    builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer_name or name(cn))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(datetime.datetime(2035, 1, 1, tzinfo=UTC))
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    return builder.sign(issuer_key or key, hashes.SHA384())


def utf8_string(text):
    data = text.encode()
    assert len(data) < 128
    return bytes([0x0C, len(data)]) + data


def leaf(key, issuer, issuer_key, start=SIGNED_AT, code_signing=True):
    # An empty subject with a critical SAN, as Fulcio's leaves have.
    builder = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(issuer.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(minutes=10))
               .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
               .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(SAN)]), critical=True)
               .add_extension(x509.UnrecognizedExtension(ISSUER_OID, utf8_string(ISSUER)), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    if code_signing:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
    return builder.sign(issuer_key, hashes.SHA384())  # as Fulcio's P-384 intermediate signs


# Fulcio: root -> intermediate -> leaf; and an unrelated CA whose leaf must not chain.
root_key, inter_key, other_key = (ec.generate_private_key(ec.SECP384R1()) for _ in range(3))
root = ca("fulcio test root", root_key)
inter = ca("fulcio test intermediate", inter_key, root.subject, root_key, path_length=0)
other = ca("some other fulcio", other_key)
signer_key = ec.generate_private_key(ec.SECP256R1())
signer = leaf(signer_key, inter, inter_key)
stranger = leaf(signer_key, other, other_key)
no_eku = leaf(signer_key, inter, inter_key, code_signing=False)

# Rekor: the log key, and another the trust root does not name.
log_key, rogue_log_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
log_id = hashlib.sha256(spki(log_key)).digest()
rogue_log_id = hashlib.sha256(spki(rogue_log_key)).digest()


def trusted_root(ca_start=datetime.datetime(2025, 1, 1, tzinfo=UTC)):
    return {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{"baseUrl": "https://rekor.example.test", "hashAlgorithm": "SHA2_256",
                   "publicKey": {"rawBytes": b64(spki(log_key)), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                 "validFor": {"start": "2025-01-01T00:00:00Z"}},
                   "logId": {"keyId": b64(log_id)}}],
        "certificateAuthorities": [{"subject": {"organization": "modelpin test", "commonName": "fulcio test"},
                                    "uri": "https://fulcio.example.test",
                                    "certChain": {"certificates": [{"rawBytes": b64(der(inter))}, {"rawBytes": b64(der(root))}]},
                                    "validFor": {"start": rfc3339(ca_start)}}],
        "ctlogs": [{"baseUrl": "https://ctfe.example.test", "hashAlgorithm": "SHA2_256",
                    "publicKey": {"rawBytes": b64(spki(rogue_log_key)), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                  "validFor": {"start": "2025-01-01T00:00:00Z"}},
                    "logId": {"keyId": b64(rogue_log_id)}}],
        "timestampAuthorities": [],
    }


# ---- RFC 6962 Merkle tree (from the RFC, independently of modelpin) ----
def leaf_hash(data): return hashlib.sha256(b"\x00" + data).digest()
def node_hash(l, r): return hashlib.sha256(b"\x01" + l + r).digest()


def mth(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    """RFC 6962 §2.1.1 PATH(m, D[n]), over leaf hashes."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def sign(key, data): return key.sign(data, ec.ECDSA(hashes.SHA256()))


def bundle(statement, cert, key=signer_key, integrated=SIGNED_AT + datetime.timedelta(minutes=1),
           set_key=log_key, entry_log_id=log_id, body_for=None, with_proof=True):
    """A bundle v0.3 whose DSSE envelope `key` signed, with a Rekor-like dsse 0.0.1 entry."""
    payload_type = "application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type.encode(), len(statement), statement)
    signature = sign(key, pae)
    logged_payload, logged_signature = body_for or (statement, signature)
    envelope = {"payload": b64(statement), "payloadType": payload_type, "signatures": [{"sig": b64(signature)}]}
    body = {"apiVersion": "0.0.1", "kind": "dsse", "spec": {
        "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(canonical(envelope)).hexdigest()},
        "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(logged_payload).hexdigest()},
        "signatures": [{"signature": b64(logged_signature), "verifier": b64(pem(cert))}]}}
    body_bytes = canonical(body)
    integrated_time, log_index = int(integrated.timestamp()), 4242
    promise = {"body": b64(body_bytes), "integratedTime": integrated_time, "logID": entry_log_id.hex(), "logIndex": log_index}
    entry = {"logIndex": str(log_index), "logId": {"keyId": b64(entry_log_id)},
             "kindVersion": {"kind": "dsse", "version": "0.0.1"}, "integratedTime": str(integrated_time),
             "inclusionPromise": {"signedEntryTimestamp": b64(sign(set_key, canonical(promise)))},
             "canonicalizedBody": b64(body_bytes)}
    if with_proof:
        # A 7-leaf tree with the entry at index 5 (a right-edge case for the audit path).
        leaves = [leaf_hash(b"other entry %d" % i) for i in range(7)]
        leaves[5] = leaf_hash(body_bytes)
        root_hash = mth(leaves)
        note = "rekor.example.test - 1234567890\n7\n%s\n" % b64(root_hash)
        checkpoint = note + "\n\u2014 rekor.example.test %s\n" % b64(log_id[:4] + sign(log_key, note.encode()))
        entry["inclusionProof"] = {"logIndex": "5", "rootHash": b64(root_hash), "treeSize": "7",
                                   "hashes": [b64(h) for h in path(5, leaves)], "checkpoint": {"envelope": checkpoint}}
    return {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"certificate": {"rawBytes": b64(der(cert))}, "tlogEntries": [entry]},
            "dsseEnvelope": envelope}


statement = base64.b64decode(json.loads((here / "signatures/key-p256.sig").read_text())["dsseEnvelope"]["payload"])
other_statement = statement.replace(b'"sha256"', b'"sha256" ', 1)
write = lambda name, value: (out / name).write_text(json.dumps(value, indent=2) + "\n")

write("trusted_root.json", trusted_root())
write("trusted_root-ca-later.json", trusted_root(ca_start=SIGNED_AT + datetime.timedelta(days=30)))
write("model.sig", bundle(statement, signer))
write("model-no-proof.sig", bundle(statement, signer, with_proof=False))
write("other-ca.sig", bundle(statement, stranger))
write("no-codesigning.sig", bundle(statement, no_eku))
write("after-leaf-expiry.sig", bundle(statement, signer, integrated=SIGNED_AT + datetime.timedelta(hours=1)))
write("set-by-other-key.sig", bundle(statement, signer, set_key=rogue_log_key))
write("unknown-log.sig", bundle(statement, signer, set_key=rogue_log_key, entry_log_id=rogue_log_id))
other_signature = sign(signer_key, b"another envelope")
write("entry-for-other-envelope.sig", bundle(statement, signer, body_for=(other_statement, other_signature)))
(out / "fulcio-root.pem").write_bytes(pem(root))

# For the end-to-end test: a small text-only model served as acme/keyless-model (the scanner
# passes it), with a v1.0 statement built here the way model_signing writes one for `files`.
e2e_files = {"config.yaml": b"config: {layers: 1}\n", "README.md": b"# keyless test model\n"}
(out / "e2e-model").mkdir(exist_ok=True)
for file_name, data in e2e_files.items():
    (out / "e2e-model" / file_name).write_bytes(data)
resources = [{"name": n, "digest": hashlib.sha256(d).hexdigest(), "algorithm": "sha256"} for n, d in sorted(e2e_files.items())]
e2e_statement = json.dumps({
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [{"name": "keyless-model", "digest": {"sha256": hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in resources)).hexdigest()}}],
    "predicateType": "https://model_signing/signature/v1.0",
    "predicate": {"serialization": {"hash_type": "sha256", "ignore_paths": [".gitattributes", ".git", ".gitignore", ".github"],
                                    "allow_symlinks": False, "method": "files"},
                  "resources": resources}}, indent=2).encode()
write("e2e-model.sig", bundle(e2e_statement, signer))
(out / "README").write_text("Made by ../generate-keyless.py: a synthetic Fulcio CA and Rekor log key; see there.\n")
print("keyless fixtures written to", out)
