import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Aes256Ecb, aes256CbcDecrypt, aes256CbcEncrypt } from '../../../src/crypto/index.js';
import { DataFormatError } from '../../../src/util/errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// NIST SP 800-38A, Appendix F: the AES-256 key and the four plaintext blocks shared by F.1.5 / F.2.5.
const key = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
const plaintext = hex(`
  6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
  30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`);

test('AES-256-CBC: NIST SP 800-38A F.2.5 / F.2.6', () => {
  const iv = hex('000102030405060708090a0b0c0d0e0f');
  const ct = hex(`
    f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d
    39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b`);
  assert.deepEqual(aes256CbcEncrypt(key, iv, plaintext), ct);
  assert.deepEqual(aes256CbcDecrypt(key, iv, ct), plaintext);
  assert.deepEqual(aes256CbcEncrypt(key, iv, Buffer.alloc(0)), Buffer.alloc(0));
});

test('AES-256-ECB: NIST SP 800-38A F.1.5 / F.1.6, block by block on one reused context', () => {
  const ct = hex(`
    f3eed1bdb5d2a03c064b5a7e3db181f8 591ccb10d410ed26dc5ba74a31362870
    b6ed21b99ca6f4f9f153e7b1beafed1d 23304b7a39f9f3ff067d8d8f9e24ecc7`);
  const ecb = new Aes256Ecb(key);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 64; i += 16) {
      assert.deepEqual(ecb.encryptBlock(plaintext.subarray(i, i + 16)), ct.subarray(i, i + 16));
      assert.deepEqual(ecb.decryptBlock(ct.subarray(i, i + 16)), plaintext.subarray(i, i + 16));
    }
  }
});

test('AES-256-ECB: in-place and caller-provided output', () => {
  const ecb = new Aes256Ecb(key);
  const block = Buffer.from(plaintext.subarray(0, 16));
  const same = ecb.encryptBlock(block, block);
  assert.equal(same, block);
  assert.deepEqual(block, hex('f3eed1bdb5d2a03c064b5a7e3db181f8'));
  const out = new Uint8Array(16);
  assert.equal(ecb.decryptBlock(block, out), out);
  assert.deepEqual(Buffer.from(out), plaintext.subarray(0, 16));
});

test('partial blocks and bad key/IV sizes are rejected', () => {
  const iv = Buffer.alloc(16);
  assert.throws(() => aes256CbcEncrypt(key, iv, Buffer.alloc(17)), DataFormatError);
  assert.throws(() => aes256CbcDecrypt(key, iv, Buffer.alloc(15)), DataFormatError);
  assert.throws(() => aes256CbcEncrypt(key, Buffer.alloc(8), Buffer.alloc(16)), RangeError);
  assert.throws(() => aes256CbcEncrypt(Buffer.alloc(16), iv, Buffer.alloc(16)), RangeError);
  const ecb = new Aes256Ecb(key);
  assert.throws(() => ecb.encryptBlock(Buffer.alloc(15)), RangeError);
  assert.throws(() => ecb.decryptBlock(Buffer.alloc(32)), RangeError);
  assert.throws(() => new Aes256Ecb(Buffer.alloc(24)), RangeError);
});
