/* The Bastion example application: a non-secure program that uses the
 * Secure Manager's services through the PSA APIs only.
 *
 * At every boot it
 *   1. reads the boot report and prints what the boot chain decided;
 *   2. runs its self-test: an ITS and a PS round trip;
 *   3. when it runs as a TRIAL image, confirms itself if the self-test
 *      passed and rejects itself otherwise (the next reset then reverts);
 *   4. counts its boots in ITS and keeps a note in PS;
 *   5. signs with a key only the Secure Manager holds: on its first boot it
 *      generates a persistent ECC P-256 key (PSA Crypto, a fixed key id),
 *      signs a message and keeps the signature in ITS; on every later boot
 *      it opens the same key id and verifies that signature with it;
 *   6. with --revoke FILE, hands that revocation command to the boot chain;
 *   7. with --format-ps, erases Protected Storage when the Secure Manager
 *      reports it was tampered with or rolled back (the way out, chosen by
 *      whoever runs the device: the data is lost);
 *   8. with --attest CHALLENGE_HEX FILE, asks for an Initial Attestation
 *      token over that challenge (32, 48 or 64 bytes) and writes it to FILE,
 *      for a verifier (`bastion attest verify FILE --iak ... --nonce ...`).
 *
 * Copy it to start your own application: it needs only the headers in
 * include/ and libbastion_ns. Run it on the virtual device with
 *   bastion sign ... app.elf app-signed.bin && bastion device install DIR app-signed.bin
 *   bastion device boot DIR [-- ARGS...]
 *
 * Two faulty builds of the same source exist for demonstrations:
 * BASTION_APP_FAULT=1 fails its self-test, BASTION_APP_FAULT=2 hangs after
 * start (the watchdog resets the device). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bastion/platform.h"
#include "bastion/protected_storage_admin.h"
#include "psa/crypto.h"
#include "psa/initial_attestation.h"
#include "psa/internal_trusted_storage.h"
#include "psa/protected_storage.h"

#ifndef BASTION_APP_FAULT
#define BASTION_APP_FAULT 0
#endif

#define BOOT_COUNT_UID 1u
#define SELF_TEST_UID 2u
#define NOTE_UID 3u
#define SIGNATURE_UID 4u

/* The application's signing key: persistent, in the user range of key ids. */
#define SIGNING_KEY_ID ((psa_key_id_t)0x00010001u)
#define SIGNING_ALG PSA_ALG_ECDSA(PSA_ALG_SHA_256)
static const char kSignedMessage[] = "signed by the Bastion example application at its first boot";

static const char* component_name(uint8_t component) {
  switch (component) {
    case BASTION_COMPONENT_UROT: return "urot";
    case BASTION_COMPONENT_SM: return "sm";
    case BASTION_COMPONENT_APP: return "app";
    default: return "?";
  }
}

static const char* state_name(uint8_t state) {
  switch (state) {
    case BASTION_IMAGE_READY: return "READY";
    case BASTION_IMAGE_TRIAL: return "TRIAL";
    case BASTION_IMAGE_REJECTED: return "REJECTED";
    default: return "?";
  }
}

static const char* slot_name(uint8_t state) {
  switch (state) {
    case BASTION_SLOT_BLANK: return "blank";
    case BASTION_SLOT_PROVISIONED: return "provisioned";
    case BASTION_SLOT_REVOKED: return "revoked";
    case BASTION_SLOT_CORRUPT: return "corrupt";
    default: return "?";
  }
}

static const char* request_name(uint8_t type) {
  switch (type) {
    case BASTION_REQUEST_CONFIRM: return "confirm";
    case BASTION_REQUEST_REJECT: return "reject";
    case BASTION_REQUEST_REVOKE: return "revoke";
    case BASTION_REQUEST_IMAGE_REVOCATION: return "image-revocation";
    case BASTION_REQUEST_REVOKE_OLDER: return "revoke-older";
    default: return "?";
  }
}

static void print_report(const bastion_boot_report_t* r) {
  uint32_t i;
  printf("app: boot report: lifecycle 0x%04x\n", (unsigned)r->lifecycle);
  for (i = 0; i < r->image_count && i < BASTION_MAX_IMAGES; ++i) {
    const bastion_image_info_t* m = &r->images[i];
    printf("app:   %-4s v%u.%u.%u+%u %-5s key slot %u, security counter %u, measurement %02x%02x%02x%02x...\n",
           component_name(m->component), m->version_major, m->version_minor,
           m->version_revision, (unsigned)m->version_build, state_name(m->state), m->key_slot,
           (unsigned)m->security_counter, m->measurement[0], m->measurement[1],
           m->measurement[2], m->measurement[3]);
  }
  for (i = 0; i < r->domain_count && i < BASTION_MAX_DOMAINS; ++i) {
    const bastion_domain_info_t* d = &r->domains[i];
    printf("app:   domain %-4s slots %s/%s/%s/%s, revocation sequence %u, records %u of %u\n",
           component_name(d->component), slot_name(d->signing_slot_states[0]),
           slot_name(d->signing_slot_states[1]), slot_name(d->signing_slot_states[2]),
           slot_name(d->signing_slot_states[3]), (unsigned)d->revocation_sequence,
           d->records_used, d->records_capacity);
  }
  for (i = 0; i < r->request_count && i < BASTION_MAX_REQUESTS; ++i) {
    const bastion_request_outcome_t* q = &r->requests[i];
    printf("app:   last boot's request %s (%s): %s\n", request_name(q->type),
           component_name(q->component),
           q->outcome == BASTION_REQUEST_APPLIED ? "applied" : "refused");
  }
  for (i = 0; i < r->partition_count && i < BASTION_MAX_PARTITIONS; ++i) {
    if (r->partitions[i].restarts != 0) {
      printf("app:   partition %d restarted %u time(s)\n", (int)r->partitions[i].partition_id,
             (unsigned)r->partitions[i].restarts);
    }
  }
}

/* Stores a pattern in ITS and PS and reads it back. */
static int self_test(void) {
  psa_status_t status;
  uint8_t pattern[64];
  uint8_t back[64];
  size_t length = 0;
  size_t i;
  for (i = 0; i < sizeof(pattern); ++i) pattern[i] = (uint8_t)(i * 7u + 1u);
  if (psa_its_set(SELF_TEST_UID, sizeof(pattern), pattern, PSA_STORAGE_FLAG_NONE) != PSA_SUCCESS ||
      psa_its_get(SELF_TEST_UID, 0, sizeof(back), back, &length) != PSA_SUCCESS ||
      length != sizeof(back) || memcmp(pattern, back, sizeof(back)) != 0) {
    printf("app: self-test: ITS round trip failed\n");
    return 0;
  }
  memset(back, 0, sizeof(back));
  status = psa_ps_set(SELF_TEST_UID, sizeof(pattern), pattern, PSA_STORAGE_FLAG_NONE);
  if (status == PSA_SUCCESS) status = psa_ps_get(SELF_TEST_UID, 0, sizeof(back), back, &length);
  if (status != PSA_SUCCESS || length != sizeof(back) || memcmp(pattern, back, sizeof(back)) != 0) {
    printf("app: self-test: PS round trip failed (%d)\n", (int)status);
    return 0;
  }
  (void)psa_its_remove(SELF_TEST_UID);
  (void)psa_ps_remove(SELF_TEST_UID);
#if BASTION_APP_FAULT == 1
  printf("app: self-test: this build's sensor check fails\n");
  return 0;
#else
  return 1;
#endif
}

/* Counts boots in ITS; returns the new count (0 on error). */
static uint32_t count_boot(void) {
  uint8_t bytes[4] = {0, 0, 0, 0};
  size_t length = 0;
  uint32_t count = 0;
  psa_status_t status = psa_its_get(BOOT_COUNT_UID, 0, sizeof(bytes), bytes, &length);
  if (status == PSA_SUCCESS && length == sizeof(bytes)) {
    count = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
            (uint32_t)bytes[3] << 24;
  } else if (status != PSA_ERROR_DOES_NOT_EXIST) {
    printf("app: ITS: reading the boot count failed (%d)\n", (int)status);
    return 0;
  }
  ++count;
  bytes[0] = (uint8_t)count;
  bytes[1] = (uint8_t)(count >> 8);
  bytes[2] = (uint8_t)(count >> 16);
  bytes[3] = (uint8_t)(count >> 24);
  status = psa_its_set(BOOT_COUNT_UID, sizeof(bytes), bytes, PSA_STORAGE_FLAG_NONE);
  if (status != PSA_SUCCESS) {
    printf("app: ITS: storing the boot count failed (%d)\n", (int)status);
    return 0;
  }
  return count;
}

/* Keeps a note in PS: prints the previous one, stores a new one. */
static int keep_note(uint32_t boot) {
  char note[96];
  char previous[96];
  size_t length = 0;
  psa_status_t status = psa_ps_get(NOTE_UID, 0, sizeof(previous) - 1, previous, &length);
  if (status == PSA_SUCCESS) {
    previous[length] = '\0';
    printf("app: PS: previous note: \"%s\"\n", previous);
  } else if (status == PSA_ERROR_DOES_NOT_EXIST) {
    printf("app: PS: no note yet\n");
  } else {
    printf("app: PS: reading the note failed (%d)%s\n", (int)status,
           status == PSA_ERROR_INVALID_SIGNATURE || status == PSA_ERROR_DATA_CORRUPT
               ? ": the external flash was tampered with or rolled back"
               : "");
    return 0;
  }
  snprintf(note, sizeof(note), "written at boot %u", (unsigned)boot);
  status = psa_ps_set(NOTE_UID, strlen(note), note, PSA_STORAGE_FLAG_NONE);
  if (status != PSA_SUCCESS) {
    printf("app: PS: storing the note failed (%d)\n", (int)status);
    return 0;
  }
  return 1;
}

/* Signs the message and keeps the signature in ITS. */
static int sign_and_keep(psa_key_id_t key) {
  uint8_t signature[PSA_SIGNATURE_MAX_SIZE];
  size_t length = 0;
  psa_status_t status =
      psa_sign_message(key, SIGNING_ALG, (const uint8_t*)kSignedMessage, sizeof(kSignedMessage) - 1,
                       signature, sizeof(signature), &length);
  if (status == PSA_SUCCESS) {
    status = psa_its_set(SIGNATURE_UID, length, signature, PSA_STORAGE_FLAG_NONE);
  }
  if (status != PSA_SUCCESS) {
    printf("app: crypto: signing failed (%d)\n", (int)status);
    return 0;
  }
  printf("app: crypto: signed \"%s\"; the %u-byte signature is kept in ITS\n", kSignedMessage,
         (unsigned)length);
  return 1;
}

/* First boot: a persistent P-256 key and a signature. Later boots: the same
 * key id opened, and the first boot's signature verified with it. */
static int sign_or_verify(void) {
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  psa_key_handle_t key = PSA_KEY_HANDLE_INIT;
  uint8_t signature[PSA_SIGNATURE_MAX_SIZE];
  size_t length = 0;
  psa_status_t status = psa_crypto_init();
  if (status == PSA_ERROR_NOT_SUPPORTED) {
    printf("app: crypto: this Secure Manager has no crypto service\n");
    return 1;
  }
  if (status != PSA_SUCCESS) {
    printf("app: crypto: psa_crypto_init failed (%d)\n", (int)status);
    return 0;
  }
  status = psa_open_key(SIGNING_KEY_ID, &key);
  if (status == PSA_ERROR_DOES_NOT_EXIST) {
    psa_set_key_id(&attributes, SIGNING_KEY_ID);
    psa_set_key_lifetime(&attributes, PSA_KEY_LIFETIME_PERSISTENT);
    psa_set_key_type(&attributes, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&attributes, 256);
    psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE);
    psa_set_key_algorithm(&attributes, SIGNING_ALG);
    status = psa_generate_key(&attributes, &key);
    if (status != PSA_SUCCESS) {
      printf("app: crypto: generating the signing key failed (%d)\n", (int)status);
      return 0;
    }
    printf("app: crypto: first boot: generated the persistent ECC P-256 key 0x%08lx\n",
           (unsigned long)key);
    return sign_and_keep(key);
  }
  if (status != PSA_SUCCESS) {
    printf("app: crypto: opening key 0x%08lx failed (%d)\n", (unsigned long)SIGNING_KEY_ID,
           (int)status);
    return 0;
  }
  printf("app: crypto: opened the persistent key 0x%08lx\n", (unsigned long)key);
  status = psa_its_get(SIGNATURE_UID, 0, sizeof(signature), signature, &length);
  if (status == PSA_ERROR_DOES_NOT_EXIST) {
    /* The key was made but the device reset before the signature was kept. */
    return sign_and_keep(key);
  }
  if (status == PSA_SUCCESS) {
    status = psa_verify_message(key, SIGNING_ALG, (const uint8_t*)kSignedMessage,
                                sizeof(kSignedMessage) - 1, signature, length);
  }
  (void)psa_close_key(key);
  if (status != PSA_SUCCESS) {
    printf("app: crypto: the first boot's signature does NOT verify (%d)\n", (int)status);
    return 0;
  }
  printf("app: crypto: the first boot's signature verifies with it\n");
  return 1;
}

static int submit_revocation(const char* path) {
  static uint8_t command[1024];
  size_t length;
  psa_status_t status;
  FILE* file = fopen(path, "rb");
  if (file == NULL) {
    printf("app: cannot open %s\n", path);
    return 0;
  }
  length = fread(command, 1, sizeof(command), file);
  fclose(file);
  status = bastion_platform_submit_revocation(command, length);
  if (status != PSA_SUCCESS) {
    printf("app: revocation command %s refused by the Secure Manager (%d)\n", path, (int)status);
    return 0;
  }
  printf("app: revocation command %s queued for the next reset (%u bytes)\n", path,
         (unsigned)length);
  return 1;
}

static int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Asks the attestation service for a token over the challenge `hex` and
 * writes it to `path`. */
static int attest(const char* hex, const char* path) {
  static uint8_t token[PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE];
  uint8_t challenge[PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64];
  size_t hex_length = strlen(hex);
  size_t challenge_size = hex_length / 2;
  size_t token_size = 0;
  size_t i;
  psa_status_t status;
  FILE* file;
  if (hex_length % 2 != 0 || challenge_size > sizeof(challenge)) {
    printf("app: attestation challenge: %u hex digits, not 64, 96 or 128\n", (unsigned)hex_length);
    return 0;
  }
  for (i = 0; i < challenge_size; ++i) {
    const int high = hex_nibble(hex[2 * i]);
    const int low = hex_nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      printf("app: attestation challenge: not hexadecimal\n");
      return 0;
    }
    challenge[i] = (uint8_t)(high * 16 + low);
  }
  status = psa_initial_attest_get_token(challenge, challenge_size, token, sizeof(token),
                                        &token_size);
  if (status != PSA_SUCCESS) {
    printf("app: attestation token refused (%d)\n", (int)status);
    return 0;
  }
  file = fopen(path, "wb");
  if (file == NULL || fwrite(token, 1, token_size, file) != token_size) {
    if (file != NULL) fclose(file);
    printf("app: cannot write %s\n", path);
    return 0;
  }
  if (fclose(file) != 0) {
    printf("app: cannot write %s\n", path);
    return 0;
  }
  printf("app: attestation token (%u bytes, challenge of %u bytes) written to %s\n",
         (unsigned)token_size, (unsigned)challenge_size, path);
  return 1;
}

int main(int argc, char** argv) {
  bastion_boot_report_t report;
  const bastion_image_info_t* self = NULL;
  const char* revoke = NULL;
  const char* attest_challenge = NULL;
  const char* attest_path = NULL;
  int format_ps = 0;
  uint32_t boot;
  int ok = 1;
  int i;
  psa_status_t status;

  for (i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--revoke") == 0 && i + 1 < argc) {
      revoke = argv[++i];
    } else if (strcmp(argv[i], "--format-ps") == 0) {
      format_ps = 1;
    } else if (strcmp(argv[i], "--attest") == 0 && i + 2 < argc) {
      attest_challenge = argv[++i];
      attest_path = argv[++i];
    } else {
      fprintf(stderr,
              "usage: %s [--revoke COMMAND.cose] [--format-ps] [--attest CHALLENGE_HEX FILE]\n",
              argv[0]);
      return 2;
    }
  }

  status = bastion_platform_boot_report(&report);
  if (status != PSA_SUCCESS) {
    printf("app: no boot report (%d)\n", (int)status);
    return 1;
  }
  print_report(&report);
  for (i = 0; i < (int)report.image_count && i < (int)BASTION_MAX_IMAGES; ++i) {
    if (report.images[i].component == BASTION_COMPONENT_APP) self = &report.images[i];
  }

  if (format_ps) {
    uint32_t health = BASTION_PS_HEALTH_GOOD;
    status = bastion_ps_health(&health);
    if (status == PSA_SUCCESS && health != BASTION_PS_HEALTH_GOOD) {
      status = bastion_ps_format();
      printf("app: PS was compromised (health %u): formatted: %s\n", (unsigned)health,
             status == PSA_SUCCESS ? "every object erased, a new root made" : "failed");
    } else {
      printf("app: PS health %u: nothing to format\n", (unsigned)health);
    }
  }

#if BASTION_APP_FAULT == 2
  printf("app: this build hangs after start\n");
  fflush(stdout);
  for (;;) {
  }
#endif

  if (self_test()) {
    printf("app: self-test passed\n");
    if (self != NULL && self->state == BASTION_IMAGE_TRIAL) {
      status = bastion_platform_confirm(BASTION_COMPONENT_APP);
      printf("app: confirming this trial image: %s\n",
             status == PSA_SUCCESS ? "queued for the next reset" : "refused");
      ok = ok && status == PSA_SUCCESS;
    }
  } else {
    printf("app: self-test FAILED\n");
    ok = 0;
    if (self != NULL && self->state == BASTION_IMAGE_TRIAL) {
      status = bastion_platform_reject(BASTION_COMPONENT_APP);
      printf("app: rejecting this trial image: %s\n",
             status == PSA_SUCCESS ? "the next reset reverts it" : "refused");
    }
  }

  boot = count_boot();
  if (boot != 0) {
    printf("app: ITS: boot count %u\n", (unsigned)boot);
    if (!keep_note(boot)) ok = 0;
  } else {
    ok = 0;
  }
  if (!sign_or_verify()) ok = 0;
  if (revoke != NULL) ok = submit_revocation(revoke) && ok;
  if (attest_challenge != NULL) ok = attest(attest_challenge, attest_path) && ok;
  fflush(stdout);
  return ok ? 0 : 1;
}
