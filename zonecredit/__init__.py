"""zonecredit"""
