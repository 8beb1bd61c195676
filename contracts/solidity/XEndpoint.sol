// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title XEndpoint: Shulian's cross-chain endpoint on an EVM chain (issue #9 item 2).
/// @notice An EVM chain gives no light-client proofs the native chains can check, so it is
///         registered on the routing chain as `consensus: "attested"`: packets, acknowledgements
///         and timeouts cross in both directions only when k of the n registered gateways sign
///         them. This contract is the EVM side of that rule.
///
///         Tokens (after ICS-20 and the native `xtransfer` module): balances are kept here, per
///         denomination, in integer minor units. A token issued on this chain (`USD-T`) is escrowed
///         when sent and arrives on native chain `alpha` as the voucher `eth-dev/USD-T`; a token of
///         `alpha` (`CNY-T`) arrives here as the voucher `alpha/CNY-T`, which is burnt on its way
///         home. An error acknowledgement or a timeout refunds the sender. Vouchers exist only
///         against an escrow at their origin, so supply across all chains never grows.
///
///         Trust: the gateway set (secp256k1 addresses) and threshold k are fixed at deployment
///         and change only by k of the current gateways signing the new set (`updateGateways`).
///         Signatures are EIP-191 (`personal_sign`) over a digest that binds a type tag, this
///         contract's chain id and address, the gateway-set version, the source and destination
///         chains and the packet (or acknowledgement / timeout). Signatures may arrive together in
///         one transaction or one at a time from different gateways: approvals accumulate per
///         digest (a bitmap of gateway indexes) and the action runs once, when the k-th distinct
///         gateway's signature arrives. Every packet executes at most once (receipts by source
///         chain and sequence) and is never executed at or after its timeout.
contract XEndpoint {
    struct Packet {
        string srcChain;
        string srcPort;
        string dstChain;
        string dstPort;
        uint64 sequence;
        string sender;
        string denom;
        uint256 amount;
        string receiver;
        /// Destination height at which the packet times out (0: none).
        uint64 timeoutHeight;
        /// Destination block time, ms, at which the packet times out (0: none).
        uint64 timeoutTime;
    }

    enum Status { None, Sent, Acknowledged, TimedOut }

    struct Outbound {
        bytes32 commitment;
        address sender;
        uint256 amount;
        string denom;
        Status status;
    }

    struct Receipt {
        bool done;
        bool ok;
        string reason;
    }

    bytes32 public constant RECV_TAG = keccak256("shulian-xendpoint-recv-v1");
    bytes32 public constant ACK_TAG = keccak256("shulian-xendpoint-ack-v1");
    bytes32 public constant TIMEOUT_TAG = keccak256("shulian-xendpoint-timeout-v1");
    bytes32 public constant SET_TAG = keccak256("shulian-xendpoint-gateways-v1");
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 public constant MAX_AMOUNT = 1e38 - 1; // the native side's amounts have at most 38 digits
    uint256 public constant MAX_GATEWAYS = 64;

    /// This chain's id in the alliance (what the routing chain registers it as).
    string public chainName;
    address[] private _gateways;
    mapping(address => uint256) public gatewayIndex; // 1-based; 0 = not a gateway
    uint256 public threshold;
    uint256 public setVersion;

    mapping(string => address) public issuer;
    mapping(string => mapping(address => uint256)) public balanceOf;
    mapping(string => uint256) public supply;
    mapping(string => mapping(string => uint256)) public escrow; // dstChain => denom => amount

    mapping(string => uint64) public sequenceOf; // dstChain => last sequence sent
    mapping(string => mapping(uint64 => Outbound)) private _out;
    mapping(string => mapping(uint64 => Receipt)) private _receipts; // srcChain => sequence
    mapping(bytes32 => uint256) public approvals; // digest => bitmap of gateway indexes
    mapping(bytes32 => bool) public executed; // digest => its action ran

    event GatewaysChanged(uint256 indexed version, address[] gateways, uint256 threshold);
    event TokenIssued(string denom, address indexed issuer);
    event Transfer(string denom, address indexed from, address indexed to, uint256 amount);
    event PacketSent(string dstChain, uint64 indexed sequence, bytes32 indexed commitment, Packet packet);
    event Attested(bytes32 indexed digest, address indexed gateway, uint256 count);
    event PacketReceived(string srcChain, uint64 indexed sequence, bool ok, string reason);
    event PacketExpired(string srcChain, uint64 indexed sequence);
    event PacketAcknowledged(string dstChain, uint64 indexed sequence, bool ok);
    event PacketTimedOut(string dstChain, uint64 indexed sequence);
    event Refunded(string dstChain, uint64 indexed sequence, address indexed to, string denom, uint256 amount);

    error BadGatewaySet(string why);
    error BadSignature(uint256 index, string why);
    error NotGateway(address signer);
    error DuplicateSigner(address signer);
    error Quorum(uint256 have, uint256 need);
    error WrongPath(string why);
    error Insufficient(string what, uint256 have, uint256 need);
    error BadAmount();
    error Unknown(string what);

    constructor(string memory name, address[] memory gateways_, uint256 threshold_) {
        require(bytes(name).length > 0, "chain name required");
        chainName = name;
        _setGateways(gateways_, threshold_);
    }

    // ---------------------------------------------------------------- gateways

    function gateways() external view returns (address[] memory) {
        return _gateways;
    }

    /// @notice Replace the gateway set: k of the current gateways sign
    ///         keccak256(SET_TAG, chainid, this, setVersion, newGateways, newThreshold).
    function updateGateways(address[] calldata newGateways, uint256 newThreshold, bytes[] calldata signatures) external {
        bytes32 digest = keccak256(abi.encode(SET_TAG, block.chainid, address(this), setVersion, newGateways, newThreshold));
        uint256 signed = _verify(digest, signatures);
        if (_count(signed) < threshold) revert Quorum(_count(signed), threshold);
        _setGateways(newGateways, newThreshold);
    }

    function _setGateways(address[] memory gs, uint256 k) private {
        if (gs.length == 0 || gs.length > MAX_GATEWAYS) revert BadGatewaySet("between 1 and 64 gateways");
        // More than half: two disjoint quorums can never both attest.
        if (k == 0 || k > gs.length || k * 2 <= gs.length) revert BadGatewaySet("threshold must be more than half of the gateways and at most all");
        for (uint256 i = 0; i < _gateways.length; i++) delete gatewayIndex[_gateways[i]];
        delete _gateways;
        for (uint256 i = 0; i < gs.length; i++) {
            if (gs[i] == address(0)) revert BadGatewaySet("zero address");
            if (gatewayIndex[gs[i]] != 0) revert BadGatewaySet("duplicate gateway");
            gatewayIndex[gs[i]] = i + 1;
            _gateways.push(gs[i]);
        }
        threshold = k;
        setVersion += 1;
        emit GatewaysChanged(setVersion, gs, k);
    }

    /// @dev Bitmap of the registered gateways whose EIP-191 signatures over `digest` are given.
    ///      Any bad, foreign or repeated signature reverts the whole call.
    function _verify(bytes32 digest, bytes[] calldata signatures) private view returns (uint256 signed) {
        bytes32 h = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        for (uint256 i = 0; i < signatures.length; i++) {
            bytes calldata sig = signatures[i];
            if (sig.length != 65) revert BadSignature(i, "not 65 bytes");
            bytes32 r = bytes32(sig[0:32]);
            bytes32 s = bytes32(sig[32:64]);
            uint8 v = uint8(sig[64]);
            if (uint256(s) > HALF_N) revert BadSignature(i, "malleable s");
            if (v != 27 && v != 28) revert BadSignature(i, "bad v");
            address signer = ecrecover(h, v, r, s);
            if (signer == address(0)) revert BadSignature(i, "does not recover");
            uint256 idx = gatewayIndex[signer];
            if (idx == 0) revert NotGateway(signer);
            uint256 bit = 1 << (idx - 1);
            if (signed & bit != 0) revert DuplicateSigner(signer);
            signed |= bit;
        }
    }

    function _count(uint256 bits) private pure returns (uint256 n) {
        while (bits != 0) {
            n += bits & 1;
            bits >>= 1;
        }
    }

    /// @dev Adds the signatures' gateways to the digest's approvals; true once when k is reached.
    function _approve(bytes32 digest, bytes[] calldata signatures) private returns (bool run) {
        if (executed[digest]) return false;
        uint256 signed = _verify(digest, signatures);
        uint256 before = approvals[digest];
        uint256 all = before | signed;
        approvals[digest] = all;
        uint256 n = _count(all);
        for (uint256 i = 0; i < _gateways.length; i++) {
            if (signed & (1 << i) != 0 && before & (1 << i) == 0) emit Attested(digest, _gateways[i], n);
        }
        if (n >= threshold) {
            executed[digest] = true;
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- digests (what gateways sign)

    function packetCommitment(Packet memory p) public pure returns (bytes32) {
        return keccak256(abi.encode(p));
    }

    function recvDigest(Packet[] memory packets) public view returns (bytes32) {
        if (packets.length == 0) revert WrongPath("no packets");
        bytes32[] memory cs = new bytes32[](packets.length);
        for (uint256 i = 0; i < packets.length; i++) cs[i] = packetCommitment(packets[i]);
        return keccak256(abi.encode(RECV_TAG, block.chainid, address(this), setVersion, packets[0].srcChain, chainName, cs));
    }

    function ackDigest(string memory dstChain, uint64 sequence, bool ok) public view returns (bytes32) {
        return keccak256(abi.encode(ACK_TAG, block.chainid, address(this), setVersion, chainName, dstChain, sequence, _out[dstChain][sequence].commitment, ok));
    }

    function timeoutDigest(string memory dstChain, uint64 sequence) public view returns (bytes32) {
        return keccak256(abi.encode(TIMEOUT_TAG, block.chainid, address(this), setVersion, chainName, dstChain, sequence, _out[dstChain][sequence].commitment));
    }

    // ---------------------------------------------------------------- tokens on this chain

    /// @notice Create a token of this chain; the caller becomes its issuer. Vouchers (names
    ///         with a '/') are created only by packets.
    function issue(string calldata denom) external {
        bytes memory d = bytes(denom);
        if (d.length == 0 || d.length > 16) revert WrongPath("a token name has 1 to 16 characters");
        for (uint256 i = 0; i < d.length; i++) if (d[i] == "/") revert WrongPath("a token name has no '/'");
        require(issuer[denom] == address(0), "token exists");
        issuer[denom] = msg.sender;
        emit TokenIssued(denom, msg.sender);
    }

    function mint(string calldata denom, address to, uint256 amount) external {
        require(issuer[denom] == msg.sender && msg.sender != address(0), "not the issuer");
        if (amount == 0 || amount > MAX_AMOUNT || supply[denom] + amount > MAX_AMOUNT) revert BadAmount();
        balanceOf[denom][to] += amount;
        supply[denom] += amount;
        emit Transfer(denom, address(0), to, amount);
    }

    function transfer(string calldata denom, address to, uint256 amount) external {
        _debit(denom, msg.sender, amount);
        balanceOf[denom][to] += amount;
        emit Transfer(denom, msg.sender, to, amount);
    }

    function _debit(string memory denom, address from, uint256 amount) private {
        uint256 have = balanceOf[denom][from];
        if (have < amount) revert Insufficient("balance", have, amount);
        balanceOf[denom][from] = have - amount;
    }

    // ---------------------------------------------------------------- send

    /// @notice Send tokens to `receiver` (a DID) on native chain `dstChain`: escrowed here, or
    ///         burnt for a voucher going home, until acknowledged. Timeouts are in the
    ///         destination's units: its block height, or its block time in ms.
    function send(string calldata dstChain, string calldata denom, uint256 amount, string calldata receiver, uint64 timeoutHeight, uint64 timeoutTime) external returns (uint64 sequence) {
        if (amount == 0 || amount > MAX_AMOUNT) revert BadAmount();
        if (bytes(dstChain).length == 0 || keccak256(bytes(dstChain)) == keccak256(bytes(chainName))) revert WrongPath("send to another chain");
        if (bytes(receiver).length == 0 || bytes(receiver).length > 128) revert WrongPath("receiver is 1 to 128 characters");
        if (timeoutHeight == 0 && timeoutTime == 0) revert WrongPath("a packet needs a timeout height or time");
        _debit(denom, msg.sender, amount);
        if (_startsWith(denom, dstChain)) supply[denom] -= amount; // a voucher goes home: burn
        else escrow[dstChain][denom] += amount;
        sequence = ++sequenceOf[dstChain];
        Packet memory p = Packet(chainName, "xtransfer", dstChain, "xtransfer", sequence, _hexAddress(msg.sender), denom, amount, receiver, timeoutHeight, timeoutTime);
        bytes32 c = packetCommitment(p);
        _out[dstChain][sequence] = Outbound(c, msg.sender, amount, denom, Status.Sent);
        emit PacketSent(dstChain, sequence, c, p);
    }

    function outbound(string calldata dstChain, uint64 sequence) external view returns (Outbound memory) {
        return _out[dstChain][sequence];
    }

    // ---------------------------------------------------------------- receive

    /// @notice Packets from a native chain, with signatures of registered gateways over
    ///         recvDigest(packets). They run once k distinct gateways have signed (in this call
    ///         or earlier ones); each packet at most once, and never at or past its timeout.
    function recv(Packet[] calldata packets, bytes[] calldata signatures) external {
        if (packets.length == 0 || packets.length > 100) revert WrongPath("1 to 100 packets");
        for (uint256 i = 0; i < packets.length; i++) {
            if (keccak256(bytes(packets[i].dstChain)) != keccak256(bytes(chainName))) revert WrongPath("packet for another chain");
            if (keccak256(bytes(packets[i].srcChain)) != keccak256(bytes(packets[0].srcChain))) revert WrongPath("packets from several chains");
        }
        if (!_approve(recvDigest(packets), signatures)) return;
        for (uint256 i = 0; i < packets.length; i++) _deliver(packets[i]);
    }

    function receiptOf(string calldata srcChain, uint64 sequence) external view returns (Receipt memory) {
        return _receipts[srcChain][sequence];
    }

    function _deliver(Packet calldata p) private {
        Receipt storage rec = _receipts[p.srcChain][p.sequence];
        if (rec.done) return; // a replay or a duplicate: executed once already
        if ((p.timeoutHeight != 0 && block.number >= p.timeoutHeight) || (p.timeoutTime != 0 && block.timestamp * 1000 >= p.timeoutTime)) {
            // Too late: no receipt, so the source can have the timeout attested and refund.
            emit PacketExpired(p.srcChain, p.sequence);
            return;
        }
        string memory err = _credit(p);
        rec.done = true;
        rec.ok = bytes(err).length == 0;
        rec.reason = err;
        emit PacketReceived(p.srcChain, p.sequence, rec.ok, err);
    }

    /// @dev Credits a transfer, or returns why it cannot (an error acknowledgement; nothing changed).
    function _credit(Packet calldata p) private returns (string memory) {
        if (keccak256(bytes(p.dstPort)) != keccak256("xtransfer")) return "XCHAIN_NO_HANDLER: this endpoint handles port xtransfer only";
        // Port binding, as on the native chains: port xtransfer takes packets only from port
        // xtransfer on the other side, never from a DID's plain-message port (xchain) or another module.
        if (keccak256(bytes(p.srcPort)) != keccak256("xtransfer")) return "XCHAIN_PORT_MISMATCH: port xtransfer takes packets only from port xtransfer on the other chain";
        (bool okAddr, address to) = _parseAddress(p.receiver);
        if (!okAddr) return "XTRANSFER_BAD_PACKET: receiver is not a 0x address";
        if (p.amount == 0 || p.amount > MAX_AMOUNT) return "XTRANSFER_BAD_PACKET: bad amount";
        string memory credited;
        if (_startsWith(p.denom, chainName)) {
            // A token of this chain comes home (its voucher "<this chain>/DENOM" was burnt at the
            // source): release the escrow held for the source chain.
            credited = string(bytes(p.denom)[bytes(chainName).length + 1:]);
            uint256 held = escrow[p.srcChain][credited];
            if (held < p.amount) return "XTRANSFER_INSUFFICIENT: escrow for the source chain is smaller than the amount";
            escrow[p.srcChain][credited] = held - p.amount;
        } else {
            credited = string.concat(p.srcChain, "/", p.denom);
            if (bytes(credited).length > 128) return "XTRANSFER_BAD_PACKET: voucher name too long";
            supply[credited] += p.amount;
        }
        balanceOf[credited][to] += p.amount;
        emit Transfer(credited, address(0), to, p.amount);
        return "";
    }

    // ---------------------------------------------------------------- acknowledge / timeout

    /// @notice The destination's acknowledgement of a packet sent from here, attested by k gateways
    ///         over ackDigest(dstChain, sequence, ok). An error acknowledgement refunds the sender.
    function acknowledge(string calldata dstChain, uint64 sequence, bool ok, bytes[] calldata signatures) external {
        Outbound storage o = _out[dstChain][sequence];
        if (o.status == Status.None) revert Unknown("no such packet");
        if (!_approve(ackDigest(dstChain, sequence, ok), signatures)) return;
        if (o.status != Status.Sent) return; // settled already (acknowledged or timed out)
        o.status = Status.Acknowledged;
        emit PacketAcknowledged(dstChain, sequence, ok);
        if (!ok) _refund(dstChain, sequence, o);
    }

    /// @notice A packet sent from here that the destination never received before its timeout,
    ///         attested by k gateways over timeoutDigest(dstChain, sequence). Refunds the sender.
    function timeout(string calldata dstChain, uint64 sequence, bytes[] calldata signatures) external {
        Outbound storage o = _out[dstChain][sequence];
        if (o.status == Status.None) revert Unknown("no such packet");
        if (!_approve(timeoutDigest(dstChain, sequence), signatures)) return;
        if (o.status != Status.Sent) return;
        o.status = Status.TimedOut;
        emit PacketTimedOut(dstChain, sequence);
        _refund(dstChain, sequence, o);
    }

    function _refund(string calldata dstChain, uint64 sequence, Outbound storage o) private {
        if (_startsWith(o.denom, dstChain)) supply[o.denom] += o.amount; // re-mint the burnt voucher
        else escrow[dstChain][o.denom] -= o.amount;
        balanceOf[o.denom][o.sender] += o.amount;
        emit Refunded(dstChain, sequence, o.sender, o.denom, o.amount);
    }

    // ---------------------------------------------------------------- helpers

    /// @dev `s` starts with `prefix` + "/".
    function _startsWith(string memory s, string memory prefix) private pure returns (bool) {
        bytes memory a = bytes(s);
        bytes memory b = bytes(prefix);
        if (a.length <= b.length + 1) return false;
        for (uint256 i = 0; i < b.length; i++) if (a[i] != b[i]) return false;
        return a[b.length] == "/";
    }

    function _hexAddress(address a) private pure returns (string memory) {
        bytes memory out = new bytes(42);
        bytes16 digits = "0123456789abcdef";
        out[0] = "0";
        out[1] = "x";
        uint160 v = uint160(a);
        for (uint256 i = 41; i > 1; i--) {
            out[i] = digits[v & 0xf];
            v >>= 4;
        }
        return string(out);
    }

    function _parseAddress(string calldata s) private pure returns (bool, address) {
        bytes calldata b = bytes(s);
        if (b.length != 42 || b[0] != "0" || (b[1] != "x" && b[1] != "X")) return (false, address(0));
        uint160 v;
        for (uint256 i = 2; i < 42; i++) {
            uint8 c = uint8(b[i]);
            uint8 d;
            if (c >= 48 && c <= 57) d = c - 48;
            else if (c >= 97 && c <= 102) d = c - 87;
            else if (c >= 65 && c <= 70) d = c - 55;
            else return (false, address(0));
            v = (v << 4) | d;
        }
        if (v == 0) return (false, address(0));
        return (true, address(v));
    }
}
