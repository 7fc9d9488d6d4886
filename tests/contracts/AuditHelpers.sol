// SPDX-License-Identifier: MIT
// Contracts for pigtrace's wallet-audit tests.
// MiniPermit2: the allowance part of Uniswap's Permit2 with its real function and event signatures
// (approve(address,address,uint160,uint48), transferFrom(address,address,uint160,address), allowance(...),
// event Approval(owner indexed, token indexed, spender indexed, uint160 amount, uint48 expiration)); an
// expiration of 0 means "now", an amount of type(uint160).max is never decremented, as in Permit2.
// Puller: a spender contract that moves tokens with the allowance it was given (a dapp's router).
pragma solidity ^0.8.20;

interface IERC20Like {
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

contract MiniPermit2 {
    struct PackedAllowance {
        uint160 amount;
        uint48 expiration;
        uint48 nonce;
    }

    mapping(address => mapping(address => mapping(address => PackedAllowance))) public allowance;

    event Approval(address indexed owner, address indexed token, address indexed spender, uint160 amount,
                   uint48 expiration);

    function approve(address token, address spender, uint160 amount, uint48 expiration) external {
        PackedAllowance storage allowed = allowance[msg.sender][token][spender];
        allowed.amount = amount;
        allowed.expiration = expiration == 0 ? uint48(block.timestamp) : expiration;
        emit Approval(msg.sender, token, spender, amount, expiration);
    }

    function transferFrom(address from, address to, uint160 amount, address token) external {
        PackedAllowance storage allowed = allowance[from][token][msg.sender];
        require(block.timestamp <= allowed.expiration, "allowance expired");
        if (allowed.amount != type(uint160).max) {
            require(amount <= allowed.amount, "insufficient allowance");
            allowed.amount -= amount;
        }
        require(IERC20Like(token).transferFrom(from, to, amount), "transfer failed");
    }
}

contract Puller {
    function pull(address token, address from, address to, uint256 value) external {
        require(IERC20Like(token).transferFrom(from, to, value), "transfer failed");
    }
}
