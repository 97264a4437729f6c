"""Content Credentials for tests: a throw-away certificate chain and a signer, made in the test run.

c2pa-rs accepts an ES256 end-entity certificate issued by a CA (not
self-signed), with keyUsage digitalSignature (critical), an extended key
usage it allows (emailProtection here), and subject/authority key
identifiers. Nothing here is trusted unless a test passes the CA as a trust
anchor.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


@dataclass
class TestChain:
    chain_pem: bytes  # end-entity certificate, then the CA
    key_pem: bytes
    ca_pem: bytes


def make_chain(signer: str = "deepcheck test signer", organization: str = "deepcheck tests") -> TestChain:
    """A root CA and an end-entity signer ``signer``, both in ``organization``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(cn: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, cn),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            ]
        )

    def usage(sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=not sign,
            crl_sign=not sign,
            encipher_only=False,
            decipher_only=False,
        )

    def base(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = name("deepcheck test root CA")
    ca = (
        base(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(sign=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        base(name(signer), ca_name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return TestChain(leaf.public_bytes(pem) + ca.public_bytes(pem), key_pem, ca.public_bytes(pem))


def sign(
    chain: TestChain, data: bytes, mime: str, source_type: str, action: str = "c2pa.created", then: tuple = ()
) -> bytes:
    """``data`` with a C2PA manifest, signed ES256: ``action`` declaring ``source_type`` (an IPTC term).

    ``then`` adds later actions (e.g. ``c2pa.edited``) by an editor; C2PA requires the first action to be
    ``c2pa.created`` or ``c2pa.opened``, so an edit can only follow one.
    """
    import c2pa

    later = [{"action": name, "softwareAgent": {"name": "deepcheck-test-editor"}} for name in then]
    manifest = {
        "claim_generator_info": [{"name": "deepcheck-test-generator", "version": "1.0"}],
        "title": "test asset",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": action,
                            "digitalSourceType": IPTC + source_type,
                            "softwareAgent": {"name": "deepcheck-test-generator"},
                        },
                        *later,
                    ]
                },
            }
        ],
    }
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain.chain_pem, chain.key_pem, None)
    settings = {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
        "builder": {"thumbnail": {"enabled": False}},
    }
    out = io.BytesIO()
    with c2pa.Context.from_dict(settings) as context, c2pa.Signer.from_info(info) as signer:
        with c2pa.Builder(manifest, context=context) as builder:
            builder.sign(signer, mime, io.BytesIO(data), out)
    return out.getvalue()
