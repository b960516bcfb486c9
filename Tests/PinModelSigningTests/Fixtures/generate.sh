#!/usr/bin/env bash
# Regenerates the model.sig fixtures with the real `model_signing` (OpenSSF model signing, PyPI)
# and openssl. Every file here is test material: the private keys sign nothing but these fixtures.
#
#   Tests/PinModelSigningTests/Fixtures/generate.sh
#
# Needs python3 and openssl. The venv lives under the package's .build (not committed), keyed by
# the pinned versions below, as the project's other Python clients are.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$root/.build/oms-fixtures-venv-1.1.1"
if [ ! -x "$venv/bin/model_signing" ]; then
    python3 -m venv "$venv"
    # model-signing 1.1.1 imports OpenSSL (pyOpenSSL) for certificates without declaring it.
    "$venv/bin/pip" install -q "model-signing==1.1.1" "pyopenssl==26.4.0"
fi
ms="$venv/bin/model_signing"
py="$venv/bin/python"
cd "$here"
rm -rf keys ca model signatures
mkdir -p keys ca signatures model/weights

# The model: a nested file, an empty file, and a git path model_signing leaves out.
printf 'config: {layers: 2}\n' > model/config.yaml
head -c 3000 /dev/zero | tr '\0' 'w' > model/weights/model.safetensors
: > model/empty.txt
printf '# a git path: model_signing leaves it out of the signature\n' > model/.gitattributes

# Keys on the three curves model_signing accepts (SEC1 for P-256, PKCS#8 for the others).
openssl ecparam -name prime256v1 -genkey -noout -out keys/p256.pem
openssl ecparam -name secp384r1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out keys/p384.pem
openssl ecparam -name secp521r1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out keys/p521.pem
openssl ecparam -name prime256v1 -genkey -noout -out keys/other.pem
for key in p256 p384 p521 other; do openssl ec -in "keys/$key.pem" -pubout -out "keys/$key.pub" 2>/dev/null; done

for key in p256 p384 p521; do
    "$ms" sign key --private_key "keys/$key.pem" --signature "signatures/key-$key.sig" model >/dev/null
done

# A CA, an intermediate and a code-signing leaf; and another CA nobody pins.
ext() { printf '%s\n' "$@" > "ca/$1.ext"; }
openssl ecparam -name prime256v1 -genkey -noout -out ca/root.key
openssl req -x509 -new -key ca/root.key -subj "/CN=modelpin test root CA" -days 3650 -out ca/root.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl ecparam -name prime256v1 -genkey -noout -out ca/intermediate.key
openssl req -new -key ca/intermediate.key -subj "/CN=modelpin test intermediate CA" -out ca/intermediate.csr
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca/intermediate.ext
openssl x509 -req -in ca/intermediate.csr -CA ca/root.pem -CAkey ca/root.key -CAcreateserial -days 3650 \
    -extfile ca/intermediate.ext -out ca/intermediate.pem 2>/dev/null
openssl ecparam -name secp384r1 -genkey -noout -out ca/leaf.key
openssl req -new -key ca/leaf.key -subj "/CN=Model Publisher" -out ca/leaf.csr
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=email:publisher@example.com\n' > ca/leaf.ext
openssl x509 -req -in ca/leaf.csr -CA ca/intermediate.pem -CAkey ca/intermediate.key -CAcreateserial -days 365 \
    -extfile ca/leaf.ext -out ca/leaf.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out ca/other-root.key
openssl req -x509 -new -key ca/other-root.key -subj "/CN=some other CA" -days 3650 -out ca/other-root.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
rm -f ca/*.csr ca/*.ext ca/*.srl
"$ms" sign certificate --private_key ca/leaf.key --signing_certificate ca/leaf.pem \
    --certificate_chain ca/intermediate.pem --signature signatures/certificate.sig model >/dev/null

# Shards (a 1000-byte shard size) with BLAKE2b: only the Python API chooses these.
"$py" - <<'PY'
from model_signing import hashing, signing
config = hashing.Config().use_shard_serialization(hashing_algorithm="blake2", shard_size=1000)
config.set_ignored_paths(paths=["signatures"], ignore_git_paths=True)
signing.Config().use_elliptic_key_signer(private_key="keys/p256.pem").set_hashing_config(config).sign(
    "model", "signatures/shards-blake2b.sig")
PY

# The legacy statement (predicate https://model_signing/Digests/v0.1: one subject per file), which
# model_signing 1.x still verifies but no longer writes: built and signed here the way 0.2 did,
# over the DSSE v1 encoding.
"$py" - <<'PY'
import base64, hashlib, json, pathlib
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from model_signing._signing import sign_sigstore_pb
files = sorted(p for p in pathlib.Path("model").rglob("*") if p.is_file() and p.name != ".gitattributes")
statement = {
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [{"name": str(p.relative_to("model")), "digest": {"sha256": hashlib.sha256(p.read_bytes()).hexdigest()}} for p in files],
    "predicateType": "https://model_signing/Digests/v0.1",
    "predicate": {},
}
payload = json.dumps(statement).encode()
key = serialization.load_pem_private_key(pathlib.Path("keys/p256.pem").read_bytes(), None)
sig = key.sign(sign_sigstore_pb.pae(payload), ec.ECDSA(hashes.SHA256()))
pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
bundle = {
    "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
    "verificationMaterial": {"publicKey": {"hint": hashlib.sha256(pub).hexdigest()}, "tlogEntries": []},
    "dsseEnvelope": {"payload": base64.b64encode(payload).decode(), "payloadType": "application/vnd.in-toto+json",
                     "signatures": [{"sig": base64.b64encode(sig).decode(), "keyid": ""}]},
}
pathlib.Path("signatures/legacy-v0.1.sig").write_text(json.dumps(bundle))
PY

# model_signing 0.2's faulty DSSE encoding ("DSSEV1" and Python's repr of the payload bytes),
# which its 1.x verifiers still accept: for keys with the curve's hash, for certificates with
# SHA-256 whatever the curve (the leaf here is P-384).
"$py" - <<'PY'
import base64, json, pathlib
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from model_signing._signing import sign_sigstore_pb
def compat(source, key_file, hash, out):
    bundle = json.loads(pathlib.Path(source).read_text())
    payload = base64.b64decode(bundle["dsseEnvelope"]["payload"])
    key = serialization.load_pem_private_key(pathlib.Path(key_file).read_bytes(), None)
    sig = key.sign(sign_sigstore_pb.pae_compat(payload), ec.ECDSA(hash))
    bundle["dsseEnvelope"]["signatures"] = [{"sig": base64.b64encode(sig).decode(), "keyid": ""}]
    pathlib.Path(out).write_text(json.dumps(bundle))
compat("signatures/key-p384.sig", "keys/p384.pem", hashes.SHA384(), "signatures/compat-key-p384.sig")
compat("signatures/certificate.sig", "ca/leaf.key", hashes.SHA256(), "signatures/compat-certificate.sig")
PY

# The shape of a keyless bundle (a Fulcio-style certificate and a Rekor entry), to be refused:
# the certificate is the test leaf, the entry a placeholder; no real transparency log is involved.
"$py" - <<'PY'
import base64, json, pathlib
from cryptography import x509
from cryptography.hazmat.primitives import serialization
bundle = json.loads(pathlib.Path("signatures/key-p256.sig").read_text())
leaf = x509.load_pem_x509_certificate(pathlib.Path("ca/leaf.pem").read_bytes())
bundle["verificationMaterial"] = {
    "certificate": {"rawBytes": base64.b64encode(leaf.public_bytes(serialization.Encoding.DER)).decode()},
    "tlogEntries": [{"logIndex": "1", "logId": {"keyId": ""}, "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                     "integratedTime": "1700000000", "canonicalizedBody": ""}],
}
pathlib.Path("signatures/keyless-shape.sig").write_text(json.dumps(bundle))
PY

# Each real signature must verify with model_signing itself (the legacy one included).
for key in p256 p384 p521; do
    "$ms" verify key --public_key "keys/$key.pub" --signature "signatures/key-$key.sig" model >/dev/null
done
"$ms" verify key --public_key keys/p256.pub --signature signatures/legacy-v0.1.sig model >/dev/null
"$ms" verify certificate --certificate_chain ca/root.pem --signature signatures/certificate.sig model >/dev/null
"$ms" verify key --public_key keys/p384.pub --signature signatures/compat-key-p384.sig model >/dev/null
"$ms" verify certificate --certificate_chain ca/root.pem --signature signatures/compat-certificate.sig model >/dev/null
"$py" - <<'PY'
from model_signing import hashing, verifying
config = hashing.Config().use_shard_serialization(hashing_algorithm="blake2", shard_size=1000)
config.set_ignored_paths(paths=["signatures"], ignore_git_paths=True)
verifying.Config().use_elliptic_key_verifier(public_key="keys/p256.pub").set_hashing_config(config).verify(
    "model", "signatures/shards-blake2b.sig")
PY

# Keyless (Sigstore) bundles against a synthetic Fulcio CA and Rekor log: see the script.
"$py" "$here/generate-keyless.py"
echo "fixtures regenerated and verified by model_signing"
