/** OpenSSH public keys made once with ssh-keygen for the tests (their private keys were deleted). */
export const SSH_KEYS = {
  ed25519: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH6JZ/k7h08FP4F829aNdhrQcw0cZ95DZKa+qFq3uD6o ed@test",
  rsa2048: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCNVtMzOv6WmjfkIB0GLbYhaoa9i67cSAiummrANraR0TL+dGW09GiDZ8GQZIABDCe/Oz8VEKGpU7S6l9d8bSVev9mEuScv9A8mCvtI/ND3vgNWWVOWCINNfDvdijy0sIuY9I5IDZGCuP3R279zRlaUQ4oroYHcDPFNyuhB8+Mh6ry8s3WiCnLANzjwe0g1IA013u1azCbRRTdxPk+/zifleN4crNb14W/nxRzOyO5G8yDQjl5zA9Qy9mBnlZVFDYKfZ0I1gJNkPofGkHDmSmlJRv+czsiG0n97sK7mRN8bkOLrs0xRvG0FTkd3chFcJiZsmeJ1ppDeV0eBhUWWziZZ rsa@test",
  ecdsa256: "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFKg2JcTx75XvrcDVH+J/6c8vd5DcggEKXdUyw+o7cgnZGuUkCXuS1P7CxEQRnZ98cm/OabxFXM5AEvue1ZjbK8= ec@test",
  rsa1024: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDRTzLkex0VEl+MgFCVcAJPCctjOXKDYVHUvIbtSDpU7+Ym8bxcTupM8XsltHw7zVz87KVEBGMz/098plAQ2nHmIR0ODzLp2Uq1nmWYHeN2Tk2c1LgTzudbw60FjzDnhbwSVFAkeSJNiLZlLHNoM3bvVjE+Z08tkTDhjZLVVizelw== small",
} as const;
