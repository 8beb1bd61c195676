// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Probe: exercises nested calls that revert, contract creation from contracts, and
///        self-destruction, for the evm module's state journal tests.
contract Probe {
    uint256 public a;
    uint256 public b;

    function inner(uint256 x) external {
        a = x;
        revert("inner fails");
    }

    /// @notice Calls inner (which writes, then reverts) and catches the failure: only b is kept.
    function outer(uint256 x) external returns (bool ok) {
        try this.inner(x) {
            ok = true;
        } catch {
            ok = false;
        }
        b = x;
    }

    /// @notice Creates a child with CREATE2 and, when asked, destroys it in the same transaction.
    function spawn(bytes32 salt, bool kill) external returns (address child) {
        Child c = new Child{salt: salt}();
        child = address(c);
        if (kill) c.kill();
    }
}

contract Child {
    uint256 public v = 7;

    function kill() external {
        selfdestruct(payable(msg.sender));
    }
}
