// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Forwarder: calls another contract with the data it is given (an internal CALL), passing
///        back its return data or its revert. Used by the tests of EVM contract freezes.
contract Forwarder {
    function forward(address target, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory out) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
        return out;
    }
}
