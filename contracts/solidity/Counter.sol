// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Counter: the example contract of Shulian's evm module and Ethereum adapter tests.
/// @notice Counts increments per caller, emits an event per increment, reverts with a reason on
///         bad input, and reports the block environment it runs in.
contract Counter {
    uint256 public count;
    address public owner;
    mapping(address => uint256) public byCaller;

    event Incremented(address indexed by, uint256 amount, uint256 count);

    constructor(uint256 start) {
        count = start;
        owner = msg.sender;
    }

    function increment(uint256 amount) external returns (uint256) {
        require(amount > 0, "amount must be positive");
        count += amount;
        byCaller[msg.sender] += amount;
        emit Incremented(msg.sender, amount, count);
        return count;
    }

    /// @notice Writes `n` storage slots: a way to use a lot of gas.
    function fill(uint256 n) external {
        for (uint256 i = 0; i < n; i++) {
            byCaller[address(uint160(i + 1))] = i + 1;
        }
    }

    function env() external view returns (uint256 number, uint256 timestamp, uint256 chainId, address coinbase, uint256 prevrandao) {
        return (block.number, block.timestamp, block.chainid, block.coinbase, block.prevrandao);
    }
}
