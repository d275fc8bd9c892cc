// SPDX-License-Identifier: GPL-2.0
// The part of the Intel 8254x register map the emulated 82540EM implements:
// offsets into BAR 0 and the bits the Linux e1000 driver uses, named as in
// Intel's software developer's manual.
#pragma once

#include <cstdint>

namespace ringvm::e1000 {

// Registers (byte offsets into BAR 0).
constexpr uint32_t kCtrl = 0x0000, kStatus = 0x0008, kEecd = 0x0010, kEerd = 0x0014,
		   kCtrlExt = 0x0018, kMdic = 0x0020, kIcr = 0x00c0, kItr = 0x00c4,
		   kIcs = 0x00c8, kIms = 0x00d0, kImc = 0x00d8, kRctl = 0x0100, kTctl = 0x0400,
		   kRdbal = 0x2800, kRdbah = 0x2804, kRdlen = 0x2808, kRdh = 0x2810,
		   kRdt = 0x2818, kTdbal = 0x3800, kTdbah = 0x3804, kTdlen = 0x3808,
		   kTdh = 0x3810, kTdt = 0x3818, kStatsStart = 0x4000, kStatsEnd = 0x4100,
		   kMta = 0x5200, kMtaEnd = 0x5400, kRal0 = 0x5400, kRaEnd = 0x5480;
// Statistics (read to clear).
constexpr uint32_t kMpc = 0x4010, kGprc = 0x4074, kBprc = 0x4078, kMprc = 0x407c,
		   kGptc = 0x4080, kGorcl = 0x4088, kGotcl = 0x4090, kTorl = 0x40c0,
		   kTotl = 0x40c8, kTpr = 0x40d0, kTpt = 0x40d4;

constexpr uint32_t kCtrlSlu = 1u << 6, kCtrlRst = 1u << 26, kCtrlPhyRst = 1u << 31;
constexpr uint32_t kStatusFd = 1u << 0, kStatusLu = 1u << 1, kStatusSpeed1000 = 2u << 6,
		   kStatusAsdv1000 = 2u << 8;

// EEPROM, Microwire, bit-banged through EECD.
constexpr uint32_t kEecdSk = 1u << 0, kEecdCs = 1u << 1, kEecdDi = 1u << 2, kEecdDo = 1u << 3,
		   kEecdReq = 1u << 6, kEecdGnt = 1u << 7, kEecdPres = 1u << 8;
constexpr unsigned kEepromWords = 64, kEepromAddrBits = 6;
constexpr uint16_t kEepromReadOpcode = 0x6; // start bit, then 10
constexpr uint16_t kEepromChecksum = 0xbaba;
// EERD: start, done, address 15:8, data 31:16.
constexpr uint32_t kEerdStart = 1u << 0, kEerdDone = 1u << 4;

// MDIC: data 15:0, register 20:16, PHY 25:21, op 27:26, ready, error.
constexpr uint32_t kMdicOpWrite = 1u << 26, kMdicOpRead = 2u << 26, kMdicReady = 1u << 28,
		   kMdicError = 1u << 30;
constexpr unsigned kPhyAddr = 1;

// Interrupt causes (ICR, ICS, IMS, IMC).
constexpr uint32_t kIntTxdw = 1u << 0, kIntTxqe = 1u << 1, kIntLsc = 1u << 2,
		   kIntRxdmt0 = 1u << 4, kIntRxo = 1u << 6, kIntRxt0 = 1u << 7;
constexpr uint32_t kIntMask = 0x1ffff;

constexpr uint32_t kRctlEn = 1u << 1, kRctlUpe = 1u << 3, kRctlMpe = 1u << 4,
		   kRctlBam = 1u << 15, kRctlBsex = 1u << 25, kRctlSecrc = 1u << 26;
constexpr unsigned kRctlRdmtsShift = 8, kRctlMoShift = 12, kRctlBsizeShift = 16;
constexpr uint32_t kTctlEn = 1u << 1;
constexpr uint32_t kRahAv = 1u << 31;

// Descriptors: 16 bytes, rings a multiple of 128 bytes.
constexpr uint64_t kDescLen = 16;
constexpr uint8_t kRxdStatDd = 1u << 0, kRxdStatEop = 1u << 1, kRxdStatIxsm = 1u << 2;
// Transmit: the command byte (legacy) or bits 31:24 (extended).
constexpr uint8_t kTxdCmdEop = 1u << 0, kTxdCmdRs = 1u << 3, kTxdCmdDext = 1u << 5;
constexpr uint8_t kTxdCmdTse = 1u << 2;			     // data descriptor
constexpr uint8_t kTucmdTcp = 1u << 0, kTucmdIp = 1u << 1, kTucmdTse = 1u << 2; // context
constexpr unsigned kTxdDtypShift = 20, kTxdDtypContext = 0, kTxdDtypData = 1;
constexpr uint8_t kTxdStatDd = 1u << 0;
constexpr uint8_t kTxdPoptIxsm = 1u << 0, kTxdPoptTxsm = 1u << 1;

// The Marvell 88E1011 PHY the driver expects on this MAC.
constexpr unsigned kPhyCtrl = 0, kPhyStatus = 1, kPhyId1 = 2, kPhyId2 = 3;
constexpr uint16_t kPhyCtrlReset = 1u << 15, kPhyCtrlRestartAn = 1u << 9;

} // namespace ringvm::e1000
